// base64url (RFC 4648 section 5) without padding, for tokens that travel in URLs.
//
//   std::string text;  AppendBase64Url(bytes, &text);
//   std::string back;  if (!DecodeBase64Url(text, &back)) -> malformed
#pragma once

#include <string>
#include <string_view>

namespace vetrina {

void AppendBase64Url(std::string_view bytes, std::string* out);

// Appends the decoded bytes of unpadded base64url `text` to `out`. False on a character outside
// the alphabet, an impossible length, or unused trailing bits that are not zero, so each byte
// string has exactly one accepted spelling.
bool DecodeBase64Url(std::string_view text, std::string* out);

inline constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The value of one base64url character, or -1.
inline int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace vetrina
