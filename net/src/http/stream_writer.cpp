// stream_writer.cpp: chunks go into the connection's output buffer; the sink (the
// server's flush) drains it when it passes flush_threshold.
//
// Chunks are always copied into the buffer's arena, never borrowed: a producer
// may drop a write future before it completed (select, timeout), and borrowed
// bytes would then dangle in the buffer. The arena keeps its capacity and is
// reset whenever the buffer drains, so a steady stream allocates nothing per chunk.
#include <eddy/net/http/output_buffer.hpp>
#include <eddy/net/http/serializer.hpp>
#include <eddy/net/http/stream_writer.hpp>

namespace eddy::net::http {

polled<result<void>> stream_writer::write_future::poll(context& cx) {
  stream_writer& w = *w_;
  if (!appended_) {
    appended_ = true;
    if (w.error_) return result<void>(w.error_);
    if (bytes_.empty()) return result<void>{};
    write_chunk(*w.out_, bytes_, w.framing_);
    w.written_ += bytes_.size();
    if (w.out_->size() < flush_threshold) return result<void>{};
  }
  return w.poll_flush(cx);
}

polled<result<void>> stream_writer::poll_flush(context& cx) {
  if (error_) return result<void>(error_);
  flush_polled_ = true;
  auto p = sink_.poll(sink_.self, cx);
  if (p.is_pending()) return pending;
  if (!p.value()) error_ = p.value().error();
  return p;
}

}  // namespace eddy::net::http
