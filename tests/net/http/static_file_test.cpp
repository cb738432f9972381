// static_file_test.cpp: path traversal vectors are refused, lexically and on the
// file system (symlinks out of the root), and Content-Type goes by extension.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <eddy/net/http/static_file.hpp>

#include "net/src/http/open_beneath.hpp"

namespace eddy::net::http {
namespace {

TEST(SafeRelativePath, AcceptsOrdinaryPaths) {
  EXPECT_EQ(*safe_relative_path("index.html"), "index.html");
  EXPECT_EQ(*safe_relative_path("a/b/c.txt"), "a/b/c.txt");
  EXPECT_EQ(*safe_relative_path("with%20space.txt"), "with space.txt");
  EXPECT_EQ(*safe_relative_path(".well-known/x"), ".well-known/x");
  EXPECT_EQ(*safe_relative_path("a..b"), "a..b");
}

TEST(SafeRelativePath, RefusesTraversalVectors) {
  for (std::string_view raw : {"",
                               "..",
                               "../etc/passwd",
                               "a/../../etc/passwd",
                               "a/..",
                               "./a",
                               "a/./b",
                               "%2e%2e/etc/passwd",
                               "%2E%2E/x",
                               ".%2e/x",
                               "%2e./x",
                               "a/%2e%2e",
                               "%2e",
                               "/etc/passwd",
                               "%2fetc%2fpasswd",
                               "a%2f..%2f..%2fx",
                               "..%2fx",
                               "a%5c..%5cb",
                               "a\\..\\b",
                               "a//b",
                               "a/",
                               "a%00.txt",
                               "a%0a",
                               "%",
                               "%2",
                               "%zz",
                               "a\x01"}) {
    EXPECT_FALSE(safe_relative_path(raw)) << "accepted: " << raw;
  }
  // Double encoding decodes once, to the harmless literal name "%2e%2e".
  EXPECT_EQ(*safe_relative_path("%252e%252e/x"), "%2e%2e/x");
}

class StaticRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/eddy_static_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    root_ = base_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir((root_ + "/sub").c_str(), 0755), 0);
    write(root_ + "/index.html", "<h1>hi</h1>");
    write(root_ + "/sub/data.json", "{}");
    write(base_ + "/secret.txt", "secret");
    ASSERT_EQ(::symlink((base_ + "/secret.txt").c_str(), (root_ + "/escape").c_str()), 0);
    ASSERT_EQ(::symlink("../../secret.txt", (root_ + "/sub/relescape").c_str()), 0);
    ASSERT_EQ(::symlink(base_.c_str(), (root_ + "/dirlink").c_str()), 0);
    ASSERT_EQ(::symlink("data.json", (root_ + "/sub/inside").c_str()), 0);
  }
  void TearDown() override { std::system(("rm -rf '" + base_ + "'").c_str()); }

  static void write(const std::string& path, std::string_view text) { std::ofstream(path) << text; }

  std::string base_;
  std::string root_;
};

TEST_F(StaticRoot, OpensFilesUnderTheRoot) {
  auto root = static_root::open_root(root_);
  ASSERT_TRUE(root) << root.error().message();
  auto f = root->open("index.html");
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->size, 11u);
  EXPECT_EQ(f->content_type, "text/html; charset=utf-8");
  EXPECT_TRUE(f->file);
  auto j = root->open("sub/data.json");
  ASSERT_TRUE(j);
  EXPECT_EQ(j->content_type, "application/json");
  // A symlink that stays inside the root is followed.
  auto inside = root->open("sub/inside");
  ASSERT_TRUE(inside) << inside.error().message();
  EXPECT_EQ(inside->size, 2u);
}

TEST_F(StaticRoot, RefusesWhatIsNotAFileUnderTheRoot) {
  auto root = static_root::open_root(root_);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->open("missing.txt").error(), std::errc::no_such_file_or_directory);
  EXPECT_EQ(root->open("sub").error(), std::errc::no_such_file_or_directory);
  EXPECT_EQ(root->open("../secret.txt").error(), std::errc::invalid_argument);
  EXPECT_EQ(root->open("%2e%2e/secret.txt").error(), std::errc::invalid_argument);
  EXPECT_EQ(root->open("escape").error(), std::errc::permission_denied);
  EXPECT_EQ(root->open("sub/relescape").error(), std::errc::permission_denied);
  EXPECT_EQ(root->open("dirlink/secret.txt").error(), std::errc::permission_denied);
}

// Both ways of opening beneath the root, whichever this platform uses by default.
TEST_F(StaticRoot, BothOpenStrategiesStayBeneathTheRoot) {
  auto root = static_root::open_root(root_);
  ASSERT_TRUE(root);
  auto with_realpath = [&](const std::string& rel) {
    return detail::open_beneath_realpath(root->path(), rel);
  };
  int dir = ::open(root->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(dir, 0);
  auto with_openat2 = [&](const std::string& rel) {
    return detail::open_beneath_openat2(dir, rel);
  };
  bool have_openat2 = with_openat2("index.html") != -ENOSYS;
  struct strategy {
    const char* name;
    std::function<int(const std::string&)> open;
  };
  std::vector<strategy> strategies{{"realpath", with_realpath}};
  if (have_openat2) strategies.push_back({"openat2", with_openat2});
  for (const auto& s : strategies) {
    SCOPED_TRACE(s.name);
    for (const char* ok : {"index.html", "sub/data.json", "sub/inside"}) {
      int fd = s.open(ok);
      EXPECT_GE(fd, 0) << ok;
      if (fd >= 0) ::close(fd);
    }
    EXPECT_EQ(s.open("escape"), -EXDEV);
    EXPECT_EQ(s.open("sub/relescape"), -EXDEV);
    EXPECT_EQ(s.open("dirlink/secret.txt"), -EXDEV);
    EXPECT_EQ(s.open("missing"), -ENOENT);
  }
  ::close(dir);
}

TEST(ContentType, GoesByExtension) {
  EXPECT_EQ(content_type_for("a/b/index.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("x.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("x.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("x.png"), "image/png");
  EXPECT_EQ(content_type_for("x.tar.gz"), "application/gzip");
  EXPECT_EQ(content_type_for("README"), "application/octet-stream");
  EXPECT_EQ(content_type_for("dir.d/file"), "application/octet-stream");
  EXPECT_EQ(content_type_for("x."), "application/octet-stream");
}

}  // namespace
}  // namespace eddy::net::http
