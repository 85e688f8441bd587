// Redis Cluster's key slot: which of the 16384 hash slots, and so which master, holds a key.
//
//   KeySlot("foo") == 12182
//   KeySlot("{user1000}.following") == KeySlot("{user1000}.followers")
#pragma once

#include <cstdint>
#include <string_view>

namespace vetrina::redis {

inline constexpr int kClusterSlots = 16384;

// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), the checksum the Redis Cluster
// specification uses.
uint16_t Crc16(std::string_view data);

// CRC16 of the key's hash tag mod 16384. The hash tag is the part between the first '{' and the
// first '}' after it, when that part is not empty; otherwise the whole key is hashed.
uint16_t KeySlot(std::string_view key);

}  // namespace vetrina::redis
