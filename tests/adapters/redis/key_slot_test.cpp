#include "adapters/redis/key_slot.h"

#include <catch2/catch.hpp>
#include <string>

namespace vetrina::redis {
namespace {

TEST_CASE("Crc16 is the XMODEM variant the Redis Cluster specification names") {
  // Redis Cluster spec, "Keys hash tags" appendix: the output for "123456789" is 31C3.
  CHECK(Crc16("123456789") == 0x31C3);
  CHECK(Crc16("") == 0);
}

TEST_CASE("KeySlot follows the Redis Cluster specification's hash tag rules") {
  struct Row {
    const char* rule;
    std::string key;
    std::string hashed;  // what the specification says is hashed
  };
  const Row rows[] = {
      {"no braces: the whole key", "foo", "foo"},
      {"a non-empty tag: only the tag", "{user1000}.following", "user1000"},
      {"the first '{' and the first '}' after it", "foo{{bar}}zap", "{bar"},
      {"an empty first tag: the whole key", "foo{}{bar}", "foo{}{bar}"},
      {"only the first tag counts", "foo{bar}{zap}", "bar"},
      {"a '{' without '}': the whole key", "foo{bar", "foo{bar"},
      {"a '}' before any '{': the whole key", "}foo{", "}foo{"},
  };
  for (const Row& row : rows) {
    INFO(row.rule << ": " << row.key);
    CHECK(KeySlot(row.key) == Crc16(row.hashed) % kClusterSlots);
  }
}

TEST_CASE("KeySlot matches the slots Redis reports") {
  // CLUSTER KEYSLOT answers on a Redis 7 cluster node.
  CHECK(KeySlot("foo") == 12182);
  CHECK(KeySlot("bar") == 5061);
  CHECK(KeySlot("{user1000}.following") == KeySlot("{user1000}.followers"));
  CHECK(KeySlot("{user1000}.following") == KeySlot("user1000"));
  CHECK(KeySlot("") == 0);
}

}  // namespace
}  // namespace vetrina::redis
