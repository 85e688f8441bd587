// A real redis-server for one test: on a free port of 127.0.0.1, in a fresh directory, with no
// RDB snapshots, stopped by its pid when the object goes. Tests never share one that they write.
//
//   RedisServer server;             // started; FAILs the test when redis-server is missing
//   server.port();
//   server.Stop(); server.Start();  // the same port again (reconnection tests)
//
//   RedisServer durable({.append_only = true});  // appendonly yes, appendfsync always
//   durable.Kill(); durable.Start();             // a crash, then a restart that replays the AOF
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace vetrina::testing {

// The path of executable `name` on $PATH, or "" when there is none.
inline std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Starts `args` (args[0] is the executable's path), its stdout and stderr appended to `log` when
// one is given, and returns its pid.
inline pid_t StartProcess(std::vector<std::string> args, const std::string& log = "") {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    FILE* out = log.empty() ? nullptr : std::fopen(log.c_str(), "a");
    if (out != nullptr) {
      ::dup2(::fileno(out), STDOUT_FILENO);
      ::dup2(::fileno(out), STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Runs `args` as StartProcess does and waits for it; its exit code, or -1 when it did not exit
// normally.
inline int RunProcess(std::vector<std::string> args, const std::string& log) {
  const pid_t pid = StartProcess(std::move(args), log);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class RedisServer {
 public:
  struct Options {
    // appendonly yes with appendfsync always: every acknowledged write is on disk, and Start()
    // after Kill() replays it.
    bool append_only = false;
    // cluster-enabled yes, its node file (nodes-PORT.conf) in the server's directory.
    bool cluster_enabled = false;
  };

  // Starts on a free port; retries with another port when the one picked was taken meanwhile.
  RedisServer() : RedisServer(Options{}) {}
  explicit RedisServer(Options options) : options_(options) {
    binary_ = FindOnPath("redis-server");
    if (binary_.empty()) {
      FAIL("redis-server is not on PATH: run scripts/install-deps (Debian package redis-server)");
    }
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = PickFreePort();
      if (TryStart()) return;
    }
    FAIL("redis-server did not start on any of 5 free ports; its log:\n" << Log());
  }
  ~RedisServer() { Stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  bool running() const { return pid_ > 0; }

  // Starts it again on the same port (after Stop).
  void Start() {
    if (!TryStart())
      FAIL("redis-server did not restart on port " << port_ << "; its log:\n" << Log());
  }

  // SIGKILL: a crash. The directory (AOF, node file) stays for Start().
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  const std::filesystem::path& dir() const { return dir_.path; }

  // SIGTERM, then SIGKILL when it has not exited within 5 s. Returns once the process is reaped.
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!WaitForExit(std::chrono::seconds(5))) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  std::string Log() const {
    std::ifstream in(dir_.path / "redis.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  // Binds 127.0.0.1:0 to learn a port nobody uses now, and closes it. Another process may take it
  // before redis-server binds; TryStart notices (the server exits) and the caller picks again.
  static uint16_t PickFreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  // Starts redis-server on port_ and waits (at most 10 s) until it answers (INFO, which also proves
  // it is ours) and has loaded its data. False when it exited (the port was taken) or never
  // answered; the process is gone either way.
  bool TryStart() {
    std::string port = std::to_string(port_);
    std::string dir = dir_.path.string();
    std::string log = (dir_.path / "redis.log").string();
    std::vector<std::string> args = {
        binary_, "--port", port,        "--bind", "127.0.0.1",   "--save", "",
        "--dir", dir,      "--logfile", log,      "--daemonize", "no"};
    if (options_.append_only) {
      args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always"});
    } else {
      args.insert(args.end(), {"--appendonly", "no"});
    }
    if (options_.cluster_enabled) {
      args.insert(args.end(),
                  {"--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf"});
    }
    pid_ = StartProcess(std::move(args));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (Ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling for readiness
    }
    Stop();
    return false;
  }

  // True when our process answers on port_ and serves data: INFO's process_id is its pid (not
  // another server that took the port first) and it is not loading its AOF (loading:0).
  bool Ping() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::string expected = "process_id:" + std::to_string(pid_) + "\r\n";
    std::string received;
    auto has_line = [&](const char* field) {
      const size_t at = received.find(field);
      return at != std::string::npos && received.find("\r\n", at) != std::string::npos;
    };
    static constexpr char kInfo[] = "*1\r\n$4\r\nINFO\r\n";  // server, persistence, ...
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::write(fd, kInfo, sizeof(kInfo) - 1) == static_cast<ssize_t>(sizeof(kInfo) - 1)) {
      char buf[4096];
      while (!has_line("process_id:") || !has_line("\r\nloading:")) {
        ssize_t n = ::read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        received.append(buf, static_cast<size_t>(n));
      }
    }
    ::close(fd);
    return received.find(expected) != std::string::npos &&
           received.find("\r\nloading:0\r\n") != std::string::npos;
  }

  bool WaitForExit(std::chrono::steady_clock::duration limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling for exit
    }
    return false;
  }

  Options options_;
  TempDir dir_;
  std::string binary_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace vetrina::testing
