// vetrina-loadgen: drives a bidder (or anything answering POSTs) with realistic OpenRTB traffic
// and reports latency without coordinated omission.
//
//   vetrina-loadgen run --url http://127.0.0.1:8080/openrtb2/bid --rate 20000
//       --connections 64 --duration 10 [--max] [--threads 1] [--users 1000000]
//       [--restricted 0.1] [--fixtures DIR] [--notices 0.5] [--body FILE] [--json] [--quiet]
//       [--tmax 120] [--give-up-ms 50] [--kernel-times]
//   vetrina-loadgen users --count 1000000     # the users' IFAs, one per line (for seeding)
//
// Open loop (--rate): request i is due at start + i / rate. Each connection takes the next due
// request, waits for its time if it is early, sends it and waits for the answer; its latency is
// measured from when it was due, so a stalled server shows up in the percentiles instead of
// silently lowering the rate. Closed loop (--max): every connection sends as soon as it has its
// answer, to find peak throughput; latency is measured from the send.
//
// An exchange in front of an overloaded bidder (--give-up-ms D): an auction whose request no
// connection could send within D of its due time is dropped, as an exchange skips a busy bidder,
// and counted. --kernel-times also measures each answer from the send to when the kernel
// received it (SO_TIMESTAMPNS), so the driver's own backlog on a saturated core does not count
// against the server.
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "adapters/http/descriptor_limit.h"
#include "adapters/http/receive_time.h"
#include "perf/loadgen/histogram.h"
#include "perf/loadgen/traffic.h"

namespace vetrina::loadgen {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

struct Options {
  std::string host = "127.0.0.1";
  std::string port = "8080";
  std::string path = "/openrtb2/bid";
  double rate = 1000;
  bool max = false;
  int connections = 32;
  double duration_s = 10;
  int threads = 1;
  TrafficOptions traffic;
  double notice_share = 0;
  std::string fixed_body;  // --body: send this file every time (as wrk does), no traffic model
  bool json = false;
  bool quiet = false;
  uint64_t seed = 1;
  double give_up_ms = 0;      // open loop: drop auctions not sent this long after due; 0 = never
  bool kernel_times = false;  // time answers by the kernel's receive stamp
};

// What one thread saw; merged at the end.
struct Stats {
  LatencyHistogram latency;
  LatencyHistogram notice_latency;
  std::map<int, uint64_t> statuses;
  std::map<int, uint64_t> notice_statuses;
  uint64_t bids = 0;          // 200 answers with a bid
  uint64_t bids_in_tmax = 0;  // --kernel-times: bids answered within tmax of their send
  uint64_t errors = 0;        // connect, read or write failures
  uint64_t unsent = 0;        // due before the end but never sent (open loop, server too slow)
  uint64_t dropped = 0;       // skipped: no connection free within --give-up-ms of the due time
  // --kernel-times: send to the kernel's receipt of the answer, for every answer and for bids.
  LatencyHistogram answer_latency;
  LatencyHistogram bid_answer_latency;
};

struct Shared {
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> errors{0};
};

class Worker {
 public:
  Worker(const Options& options, int index, Shared& shared)
      : options_(options),
        index_(index),
        shared_(shared),
        traffic_(options.traffic),
        rng_(options.seed * 7919 + index) {}

  // Builds the request bodies before the clock starts, so making traffic costs the driver's
  // core nothing while it measures (it shares a 2-core machine with the server).
  void Prepare() {
    if (!options_.fixed_body.empty()) return;
    bodies_.reserve(kBodies);
    for (uint64_t i = 0; i < kBodies; ++i) {
      bodies_.push_back(traffic_.NextRequest(rng_, (i << 8) | static_cast<uint64_t>(index_)));
    }
  }

  void Run(Clock::time_point start, Clock::time_point end) {
    start_ = start;
    end_ = end;
    const int mine = options_.connections / options_.threads +
                     (index_ < options_.connections % options_.threads ? 1 : 0);
    // This thread's share of the rate: its requests are the slots k*threads + index.
    for (int c = 0; c < mine; ++c) asio::co_spawn(io_, Connection(), asio::detached);
    if (options_.notice_share > 0) {
      for (int c = 0; c < kNoticeConnections; ++c) {
        asio::co_spawn(io_, NoticeConnection(), asio::detached);
      }
    }
    io_.run();
    if (!options_.max) {
      // Slots due before the end that no connection got to.
      const double due = options_.rate * options_.duration_s / options_.threads;
      if (static_cast<double>(next_slot_) < due) {
        stats_.unsent += static_cast<uint64_t>(due - static_cast<double>(next_slot_));
      }
    }
  }
  const Stats& stats() const { return stats_; }

 private:
  asio::awaitable<void> Connection() {
    tcp::resolver resolver(io_);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(options_.host, options_.port, kNoThrow);
    if (resolve_error) {
      ++stats_.errors;
      co_return;
    }
    tcp::socket socket(io_);
    asio::steady_timer timer(io_);
    boost::beast::flat_buffer buffer;
    bool connected = false;
    const double interval_ns = 1e9 / (options_.rate / options_.threads);
    for (;;) {
      Clock::time_point due;
      if (options_.max) {
        due = Clock::now();
        if (due >= end_) break;
      } else {
        const uint64_t slot = next_slot_++;
        due = start_ + std::chrono::nanoseconds(static_cast<int64_t>(slot * interval_ns));
        if (due >= end_) break;
        const Clock::time_point now = Clock::now();
        if (now < due) {
          timer.expires_at(due);
          co_await timer.async_wait(kNoThrow);
        } else if (options_.give_up_ms > 0 &&
                   now - due >
                       std::chrono::nanoseconds(static_cast<int64_t>(options_.give_up_ms * 1e6))) {
          // Too late to send: drop it and every auction due since that no connection has taken.
          const auto due_now = std::min(
              static_cast<uint64_t>(std::chrono::duration<double, std::nano>(now - start_).count() /
                                    interval_ns),
              static_cast<uint64_t>(
                  std::chrono::duration<double, std::nano>(end_ - start_).count() / interval_ns));
          ++stats_.dropped;
          if (due_now > next_slot_) {
            stats_.dropped += due_now - next_slot_;
            next_slot_ = due_now;
          }
          continue;
        }
      }
      if (!connected) {
        auto [connect_error, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow);
        if (connect_error) {
          ++stats_.errors;
          shared_.errors.fetch_add(1, std::memory_order_relaxed);
          timer.expires_after(std::chrono::milliseconds(10));
          co_await timer.async_wait(kNoThrow);
          continue;
        }
        socket.set_option(tcp::no_delay(true));
        if (options_.kernel_times) {
          if (absl::Status s = http::EnableReceiveTimestamps(socket.native_handle()); !s.ok()) {
            std::fprintf(stderr, "vetrina-loadgen: %s\n", std::string(s.message()).c_str());
          }
        }
        connected = true;
      }
      bhttp::request<bhttp::string_body> request(bhttp::verb::post, options_.path, 11);
      request.set(bhttp::field::host, options_.host);
      request.set(bhttp::field::content_type, "application/json");
      request.set("x-openrtb-version", "2.6");
      request.body() =
          options_.fixed_body.empty() ? bodies_[sequence_++ % bodies_.size()] : options_.fixed_body;
      request.prepare_payload();
      const absl::Time sent = absl::Now();
      const auto [write_error, written] = co_await bhttp::async_write(socket, request, kNoThrow);
      bhttp::response<bhttp::string_body> response;
      boost::system::error_code read_error = write_error;
      absl::Time answered = absl::InfinitePast();
      if (!write_error && options_.kernel_times && buffer.size() == 0) {
        // Read the answer's first bytes ourselves: the read tells when the kernel got them.
        auto [wait_error] = co_await socket.async_wait(tcp::socket::wait_read, kNoThrow);
        read_error = wait_error;
        if (!wait_error) {
          const auto space = buffer.prepare(64 * 1024);
          const http::ReceiveResult got =
              http::ReceiveNow(socket.native_handle(), space.data(), space.size());
          if (got.bytes > 0) {
            buffer.commit(static_cast<size_t>(got.bytes));
            answered = got.received.value_or(absl::Now());
          } else if (!got.would_block()) {
            read_error = asio::error::connection_reset;
          }
        }
      }
      if (!read_error) {
        auto [e, n] = co_await bhttp::async_read(socket, buffer, response, kNoThrow);
        read_error = e;
        if (answered == absl::InfinitePast()) answered = absl::Now();
      }
      if (read_error) {
        ++stats_.errors;
        shared_.errors.fetch_add(1, std::memory_order_relaxed);
        boost::system::error_code ignored;
        socket.close(ignored);
        connected = false;
        continue;
      }
      stats_.latency.Record(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - due).count());
      const int status = response.result_int();
      ++stats_.statuses[status];
      shared_.completed.fetch_add(1, std::memory_order_relaxed);
      const bool bid = status == 200 && response.body().find("\"seatbid\"") != std::string::npos;
      if (options_.kernel_times) {
        const int64_t answer_ns = absl::ToInt64Nanoseconds(answered - sent);
        stats_.answer_latency.Record(answer_ns);
        if (bid) stats_.bid_answer_latency.Record(answer_ns);
        if (bid && answer_ns <= int64_t{options_.traffic.tmax_ms} * 1'000'000) {
          ++stats_.bids_in_tmax;
        }
      }
      if (bid) {
        ++stats_.bids;
        if (options_.notice_share > 0 &&
            std::uniform_real_distribution<double>(0, 1)(rng_) < options_.notice_share) {
          QueueNotices(response.body());
        }
      }
      if (!response.keep_alive()) {
        boost::system::error_code ignored;
        socket.close(ignored);
        connected = false;
      }
    }
    boost::system::error_code ignored;
    socket.close(ignored);
  }

  // The exchange's side: a win notice (and, for half of them, a billing notice) at the price
  // we bid, sent on separate connections as an exchange's notice servers would.
  void QueueNotices(const std::string& bid_response) {
    const size_t price_at = bid_response.find("\"price\":");
    std::string price = "0.01";
    if (price_at != std::string::npos) {
      const size_t p = price_at + 8;
      price = bid_response.substr(p, bid_response.find_first_of(",}", p) - p);
    }
    const bool bill = std::uniform_real_distribution<double>(0, 1)(rng_) < 0.5;
    for (const char* key : {"\"nurl\":\"", "\"burl\":\""}) {
      if (key[1] == 'b' && !bill) break;
      const size_t at = bid_response.find(key);
      if (at == std::string::npos) continue;
      const size_t begin = at + std::strlen(key);
      std::string url = bid_response.substr(begin, bid_response.find('"', begin) - begin);
      const size_t path_at = url.find("/ev/");
      if (path_at == std::string::npos) continue;
      url = url.substr(path_at);
      if (size_t macro = url.find("${AUCTION_PRICE}"); macro != std::string::npos) {
        url.replace(macro, 16, price);
      }
      notices_.push_back(std::move(url));
    }
  }

  asio::awaitable<void> NoticeConnection() {
    tcp::resolver resolver(io_);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(options_.host, options_.port, kNoThrow);
    if (resolve_error) co_return;
    tcp::socket socket(io_);
    asio::steady_timer timer(io_);
    boost::beast::flat_buffer buffer;
    bool connected = false;
    // Runs until the bids end and the queue is drained.
    while (Clock::now() < end_ || !notices_.empty()) {
      if (notices_.empty()) {
        timer.expires_after(std::chrono::milliseconds(1));
        co_await timer.async_wait(kNoThrow);
        continue;
      }
      if (!connected) {
        auto [e, endpoint] = co_await asio::async_connect(socket, endpoints, kNoThrow);
        if (e) co_return;
        socket.set_option(tcp::no_delay(true));
        connected = true;
        continue;  // another connection may have taken the queue meanwhile
      }
      const std::string url = std::move(notices_.front());
      notices_.pop_front();
      const auto sent = Clock::now();
      bhttp::request<bhttp::empty_body> request(bhttp::verb::get, url, 11);
      request.set(bhttp::field::host, options_.host);
      bhttp::response<bhttp::string_body> response;
      auto [write_error, written] = co_await bhttp::async_write(socket, request, kNoThrow);
      boost::system::error_code read_error = write_error;
      if (!write_error) {
        auto [e, n] = co_await bhttp::async_read(socket, buffer, response, kNoThrow);
        read_error = e;
      }
      if (read_error) {
        ++stats_.notice_statuses[0];
        boost::system::error_code ignored;
        socket.close(ignored);
        connected = false;
        continue;
      }
      stats_.notice_latency.Record(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - sent).count());
      ++stats_.notice_statuses[response.result_int()];
    }
  }

  const Options& options_;
  const int index_;
  Shared& shared_;
  TrafficModel traffic_;
  static constexpr uint64_t kBodies = 1 << 16;  // distinct requests per thread, sent in a cycle
  std::vector<std::string> bodies_;
  std::mt19937_64 rng_;
  asio::io_context io_{1};
  Clock::time_point start_, end_;
  uint64_t next_slot_ = 0;
  std::deque<std::string> notices_;  // notice URLs waiting for a notice connection
  static constexpr int kNoticeConnections = 16;
  uint64_t sequence_ = 0;
  Stats stats_;
};

bool ParseDouble(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

int Usage() {
  std::fputs(
      "usage:\n"
      "  vetrina-loadgen run --url http://HOST:PORT/PATH (--rate N | --max) [--connections N]\n"
      "      [--duration S] [--threads N] [--users N] [--zipf S] [--restricted SHARE]\n"
      "      [--fixtures DIR] [--fixture-share SHARE] [--notices SHARE] [--body FILE]\n"
      "      [--seed N] [--tmax MS] [--give-up-ms MS] [--kernel-times] [--json]\n"
      "      [--quiet]\n"
      "  vetrina-loadgen users --count N\n",
      stderr);
  return 2;
}

bool ParseUrl(const std::string& url, Options* o) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return false;
  const std::string rest = url.substr(prefix.size());
  const size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  o->path = slash == std::string::npos ? "/" : rest.substr(slash);
  const size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return false;
  o->host = authority.substr(0, colon);
  o->port = authority.substr(colon + 1);
  return !o->host.empty() && !o->port.empty();
}

std::string Us(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", ns / 1000.0);
  return buf;
}

std::string StatusesJson(const std::map<int, uint64_t>& statuses) {
  std::string out = "{";
  for (const auto& [status, n] : statuses) {
    if (out.size() > 1) out += ",";
    out += "\"" + std::to_string(status) + "\":" + std::to_string(n);
  }
  return out + "}";
}

int Run(const std::vector<std::string>& args) {
  Options o;
  bool have_url = false, have_rate = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    double d = 0;
    if (flag == "--max") {
      o.max = true;
    } else if (flag == "--json") {
      o.json = true;
    } else if (flag == "--quiet") {
      o.quiet = true;
    } else if (flag == "--kernel-times") {
      o.kernel_times = true;
    } else if (const std::string* v = value(); v == nullptr) {
      std::fprintf(stderr, "vetrina-loadgen: %s needs a value\n", flag.c_str());
      return Usage();
    } else if (flag == "--url") {
      if (!ParseUrl(*v, &o)) return Usage();
      have_url = true;
    } else if (flag == "--body") {
      std::ifstream in(*v, std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      o.fixed_body = text.str();
      if (!in || o.fixed_body.empty()) {
        std::fprintf(stderr, "vetrina-loadgen: cannot read %s\n", v->c_str());
        return 2;
      }
    } else if (!ParseDouble(*v, &d) && flag != "--fixtures") {
      std::fprintf(stderr, "vetrina-loadgen: %s: not a number\n", flag.c_str());
      return Usage();
    } else if (flag == "--rate" && d > 0) {
      o.rate = d;
      have_rate = true;
    } else if (flag == "--connections" && d >= 1) {
      o.connections = static_cast<int>(d);
    } else if (flag == "--duration" && d > 0) {
      o.duration_s = d;
    } else if (flag == "--threads" && d >= 1) {
      o.threads = static_cast<int>(d);
    } else if (flag == "--users" && d >= 1) {
      o.traffic.users = static_cast<uint64_t>(d);
    } else if (flag == "--zipf" && d >= 0) {
      o.traffic.zipf_s = d;
    } else if (flag == "--restricted" && d >= 0 && d <= 1) {
      o.traffic.restricted_share = d;
    } else if (flag == "--fixture-share" && d >= 0 && d <= 1) {
      o.traffic.fixture_share = d;
    } else if (flag == "--notices" && d >= 0 && d <= 1) {
      o.notice_share = d;
    } else if (flag == "--tmax" && d >= 1) {
      o.traffic.tmax_ms = static_cast<int>(d);
    } else if (flag == "--give-up-ms" && d > 0) {
      o.give_up_ms = d;
    } else if (flag == "--seed" && d >= 0) {
      o.seed = static_cast<uint64_t>(d);
    } else if (flag == "--fixtures") {
      for (const auto& entry : std::filesystem::directory_iterator(*v)) {
        const std::string name = entry.path().filename().string();
        if (name.find("bid-request-2.6") != 0 || entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        o.traffic.fixture_bodies.push_back(text.str());
      }
    } else {
      std::fprintf(stderr, "vetrina-loadgen: bad flag or value: %s\n", flag.c_str());
      return Usage();
    }
  }
  if (!have_url || (!have_rate && !o.max)) return Usage();
  o.threads = std::min(o.threads, o.connections);
  if (const int limit = http::RaiseDescriptorLimit(o.connections + 256);
      limit < o.connections + 256) {
    std::fprintf(stderr, "vetrina-loadgen: open-file limit %d is short of %d connections\n", limit,
                 o.connections);
  }

  Shared shared;
  std::vector<std::unique_ptr<Worker>> workers;
  for (int t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<Worker>(o, t, shared));
  for (auto& w : workers) w->Prepare();
  const Clock::time_point start = Clock::now() + std::chrono::milliseconds(50);
  const Clock::time_point end =
      start + std::chrono::nanoseconds(static_cast<int64_t>(o.duration_s * 1e9));
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w, start, end] { w->Run(start, end); });
  // Progress, once a second, on stderr.
  std::atomic<bool> done{false};
  std::thread progress([&] {
    uint64_t last = 0;
    auto next = start + std::chrono::seconds(1);
    while (!done.load()) {
      std::this_thread::sleep_until(std::min(next, Clock::now() + std::chrono::milliseconds(100)));
      if (Clock::now() < next) continue;
      const uint64_t now_completed = shared.completed.load();
      if (!o.quiet) {
        std::fprintf(stderr, "[%3.0fs] %8llu req/s, %llu errors\n",
                     std::chrono::duration<double>(next - start).count(),
                     static_cast<unsigned long long>(now_completed - last),
                     static_cast<unsigned long long>(shared.errors.load()));
      }
      last = now_completed;
      next += std::chrono::seconds(1);
    }
  });
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  progress.join();

  Stats total;
  for (auto& w : workers) {
    const Stats& s = w->stats();
    total.latency.Merge(s.latency);
    total.notice_latency.Merge(s.notice_latency);
    for (const auto& [k, v] : s.statuses) total.statuses[k] += v;
    for (const auto& [k, v] : s.notice_statuses) total.notice_statuses[k] += v;
    total.bids += s.bids;
    total.bids_in_tmax += s.bids_in_tmax;
    total.errors += s.errors;
    total.unsent += s.unsent;
    total.dropped += s.dropped;
    total.answer_latency.Merge(s.answer_latency);
    total.bid_answer_latency.Merge(s.bid_answer_latency);
  }
  const LatencyHistogram& answers = total.answer_latency;
  const LatencyHistogram& bid_answers = total.bid_answer_latency;
  const uint64_t n = total.latency.count();
  const double achieved = n / std::min(elapsed, o.duration_s + 0.05);
  const LatencyHistogram& h = total.latency;
  if (o.json) {
    std::printf(
        "{\"mode\":\"%s\",\"target_rate\":%.0f,\"duration_s\":%.1f,\"connections\":%d,"
        "\"threads\":%d,\"requests\":%llu,\"achieved_rate\":%.1f,\"statuses\":%s,"
        "\"bid_rate\":%.4f,\"bids_in_tmax\":%llu,\"errors\":%llu,\"unsent\":%llu,"
        "\"dropped\":%llu,"
        "\"latency_us\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s,\"mean\":%.1f},"
        "\"answer_us\":{\"count\":%llu,\"p50\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s},"
        "\"bid_answer_us\":{\"count\":%llu,\"p50\":%s,\"p99\":%s,\"p999\":%s,\"max\":%s},"
        "\"notices\":{\"requests\":%llu,\"statuses\":%s,\"p99_us\":%s}}\n",
        o.max ? "max" : "open", o.max ? 0.0 : o.rate, o.duration_s, o.connections, o.threads,
        static_cast<unsigned long long>(n), achieved, StatusesJson(total.statuses).c_str(),
        n == 0 ? 0.0 : static_cast<double>(total.bids) / n,
        static_cast<unsigned long long>(total.bids_in_tmax),
        static_cast<unsigned long long>(total.errors),
        static_cast<unsigned long long>(total.unsent),
        static_cast<unsigned long long>(total.dropped), Us(h.Percentile(50)).c_str(),
        Us(h.Percentile(90)).c_str(), Us(h.Percentile(99)).c_str(), Us(h.Percentile(99.9)).c_str(),
        Us(h.max()).c_str(), h.mean() / 1000, static_cast<unsigned long long>(answers.count()),
        Us(answers.Percentile(50)).c_str(), Us(answers.Percentile(99)).c_str(),
        Us(answers.Percentile(99.9)).c_str(), Us(answers.max()).c_str(),
        static_cast<unsigned long long>(bid_answers.count()),
        Us(bid_answers.Percentile(50)).c_str(), Us(bid_answers.Percentile(99)).c_str(),
        Us(bid_answers.Percentile(99.9)).c_str(), Us(bid_answers.max()).c_str(),
        static_cast<unsigned long long>(total.notice_latency.count()),
        StatusesJson(total.notice_statuses).c_str(),
        Us(total.notice_latency.Percentile(99)).c_str());
  } else {
    std::printf("%s loop, %s, %d connections, %d thread(s), %.1f s\n", o.max ? "closed" : "open",
                o.max ? "as fast as answers come"
                      : (std::to_string(static_cast<long>(o.rate)) + " req/s").c_str(),
                o.connections, o.threads, o.duration_s);
    std::printf("  requests  %llu (%.0f req/s achieved), errors %llu, unsent %llu, dropped %llu\n",
                static_cast<unsigned long long>(n), achieved,
                static_cast<unsigned long long>(total.errors),
                static_cast<unsigned long long>(total.unsent),
                static_cast<unsigned long long>(total.dropped));
    std::printf("  statuses  %s, bid rate %.1f%%\n", StatusesJson(total.statuses).c_str(),
                n == 0 ? 0.0 : 100.0 * total.bids / n);
    std::printf("  latency   p50 %s us, p90 %s us, p99 %s us, p99.9 %s us, max %s us%s\n",
                Us(h.Percentile(50)).c_str(), Us(h.Percentile(90)).c_str(),
                Us(h.Percentile(99)).c_str(), Us(h.Percentile(99.9)).c_str(), Us(h.max()).c_str(),
                o.max ? " (from send)" : " (from when due)");
    if (o.kernel_times) {
      std::printf(
          "  answers   p50 %s us, p99 %s us, p99.9 %s us, max %s us (send to kernel receipt)\n",
          Us(answers.Percentile(50)).c_str(), Us(answers.Percentile(99)).c_str(),
          Us(answers.Percentile(99.9)).c_str(), Us(answers.max()).c_str());
      std::printf(
          "  bids      p50 %s us, p99 %s us, p99.9 %s us, max %s us (send to kernel receipt)\n",
          Us(bid_answers.Percentile(50)).c_str(), Us(bid_answers.Percentile(99)).c_str(),
          Us(bid_answers.Percentile(99.9)).c_str(), Us(bid_answers.max()).c_str());
    }
    if (total.notice_latency.count() > 0) {
      std::printf("  notices   %llu, statuses %s, p99 %s us\n",
                  static_cast<unsigned long long>(total.notice_latency.count()),
                  StatusesJson(total.notice_statuses).c_str(),
                  Us(total.notice_latency.Percentile(99)).c_str());
    }
  }
  return total.errors > 0 && n == 0 ? 1 : 0;
}

int Users(const std::vector<std::string>& args) {
  double count = 0;
  if (args.size() != 2 || args[0] != "--count" || !ParseDouble(args[1], &count) || count < 0) {
    return Usage();
  }
  std::string out;
  for (uint64_t i = 0; i < static_cast<uint64_t>(count); ++i) {
    out += UserId(i);
    out += '\n';
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace
}  // namespace vetrina::loadgen

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return vetrina::loadgen::Usage();
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") return vetrina::loadgen::Run(args);
  if (command == "users") return vetrina::loadgen::Users(args);
  return vetrina::loadgen::Usage();
}
