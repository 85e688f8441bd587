// A real Redis Cluster of three masters (no replicas) for one test: three cluster-enabled
// redis-servers with appendonly on free ports of 127.0.0.1, each in a fresh directory, joined by
// `redis-cli --cluster create` and ready (cluster_state:ok on every node) when the constructor
// returns; stopped when the object goes.
//
//   RedisCluster cluster;  // FAILs the test when redis-server or redis-cli is missing
//   redis::RedisLink link(cluster.seeds(), redis::RedisLink::Options{});
//   cluster.node(0).port();
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_url.h"
#include "redis_server.h"
#include "temp_dir.h"

namespace vetrina::testing {

class RedisCluster {
 public:
  static constexpr int kMasters = 3;

  RedisCluster() {
    const std::string cli = FindOnPath("redis-cli");
    if (cli.empty()) {
      FAIL("redis-cli is not on PATH: run scripts/install-deps (Debian package redis-tools)");
    }
    for (int i = 0; i < kMasters; ++i) {
      nodes_.push_back(std::make_unique<RedisServer>(
          RedisServer::Options{.append_only = true, .cluster_enabled = true}));
    }
    std::vector<std::string> create = {cli, "--cluster", "create"};
    for (const auto& node : nodes_) create.push_back("127.0.0.1:" + std::to_string(node->port()));
    create.insert(create.end(), {"--cluster-replicas", "0", "--cluster-yes"});
    const std::string log = (dir_.path / "redis-cli.log").string();
    if (RunProcess(create, log) != 0) FAIL("redis-cli --cluster create failed:\n" << Log());
    // Polling the servers for readiness, with a bound.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (const auto& node : nodes_) {
      while (!StateOk(*node)) {
        if (std::chrono::steady_clock::now() >= deadline) {
          FAIL("the cluster did not reach cluster_state:ok within 20 s; node " << node->port()
                                                                               << " log:\n"
                                                                               << node->Log());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  RedisCluster(const RedisCluster&) = delete;
  RedisCluster& operator=(const RedisCluster&) = delete;

  RedisServer& node(int i) { return *nodes_.at(i); }
  redis::RedisEndpoint endpoint(int i) const { return {"127.0.0.1", nodes_.at(i)->port(), 0}; }
  std::vector<redis::RedisEndpoint> seeds() const {
    std::vector<redis::RedisEndpoint> out;
    for (int i = 0; i < kMasters; ++i) out.push_back(endpoint(i));
    return out;
  }

  std::string Log() const {
    std::ifstream in(dir_.path / "redis-cli.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  static bool StateOk(const RedisServer& node) {
    absl::StatusOr<redis::RedisReply> info = redis::RunRedisCommand(
        {"127.0.0.1", node.port(), 0}, {"CLUSTER", "INFO"}, absl::Seconds(2));
    return info.ok() && info->str.find("cluster_state:ok") != std::string::npos;
  }

  TempDir dir_;
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

}  // namespace vetrina::testing
