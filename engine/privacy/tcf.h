// IAB Europe Transparency & Consent Framework v2 (TCF 2.0-2.3) consent strings: a decoder that
// reads every field of the core segment (purposes, special features, vendor consents and
// legitimate interests in both bitfield and range encodings, publisher restrictions) and the
// optional DisclosedVendors, AllowedVendors and PublisherTC segments; and an encoder for the
// same model, for round-trip tests. Input comes from the internet: any malformed string is an
// error (which the privacy rules treat as no consent), never a crash or a guess.
//
//   absl::StatusOr<TcfString> tc = DecodeTcf(request.user.consent);
//   if (tc.ok() && tc->PurposeConsent(1) && tc->vendor_consents.Contains(vendor_id)) ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace vetrina::engine {

// A set of vendor ids as sorted, disjoint, non-adjacent ranges [first, last]: a range-encoded
// section can name 65535 vendors in a few bytes, so ids are never expanded one by one.
class VendorSet {
 public:
  // Adds [first, last] (first <= last). Call Normalize after adding out of order.
  void Add(int first, int last);
  void Normalize();
  bool Contains(int id) const;
  const std::vector<std::pair<int, int>>& ranges() const { return ranges_; }
  std::vector<int> Ids() const;  // every id, ascending (at most 65535)
  int max_vendor_id = 0;         // as the string states it
  friend bool operator==(const VendorSet& a, const VendorSet& b) {
    return a.max_vendor_id == b.max_vendor_id && a.ranges_ == b.ranges_;
  }

 private:
  std::vector<std::pair<int, int>> ranges_;
  bool sorted_ = true;
};

struct PublisherRestriction {
  int purpose_id = 0;
  int type = 0;  // 0 not allowed, 1 require consent, 2 require legitimate interest
  VendorSet vendors;
  friend bool operator==(const PublisherRestriction&, const PublisherRestriction&) = default;
};

struct TcfString {
  int version = 2;
  absl::Time created = absl::UnixEpoch();  // decisecond precision
  absl::Time last_updated = absl::UnixEpoch();
  int cmp_id = 0;
  int cmp_version = 0;
  int consent_screen = 0;
  std::string consent_language = "EN";
  int vendor_list_version = 0;
  int tcf_policy_version = 0;
  bool is_service_specific = false;
  bool use_non_standard_texts = false;
  uint32_t special_feature_opt_ins = 0;  // bit i-1 for special feature i (1..12)
  uint32_t purpose_consents = 0;         // bit i-1 for purpose i (1..24)
  uint32_t purpose_legitimate_interests = 0;
  bool purpose_one_treatment = false;
  std::string publisher_country_code = "AA";
  VendorSet vendor_consents;
  VendorSet vendor_legitimate_interests;
  std::vector<PublisherRestriction> publisher_restrictions;
  std::optional<VendorSet> disclosed_vendors;
  std::optional<VendorSet> allowed_vendors;
  struct PublisherTc {
    uint32_t purpose_consents = 0;
    uint32_t purpose_legitimate_interests = 0;
    int num_custom_purposes = 0;
    uint64_t custom_purpose_consents = 0;
    uint64_t custom_purpose_legitimate_interests = 0;
    friend bool operator==(const PublisherTc&, const PublisherTc&) = default;
  };
  std::optional<PublisherTc> publisher_tc;

  bool PurposeConsent(int purpose) const { return Bit(purpose_consents, purpose); }
  bool PurposeLegitimateInterest(int purpose) const {
    return Bit(purpose_legitimate_interests, purpose);
  }
  bool SpecialFeatureOptIn(int feature) const { return Bit(special_feature_opt_ins, feature); }
  // The restriction type the publisher set for `vendor` on `purpose`, if any.
  std::optional<int> RestrictionFor(int purpose, int vendor) const;
  // TCF 2.3 makes DisclosedVendors mandatory: for strings of policy version 5 or later, and for
  // every string created on or after 28 February 2026 (IAB Europe's transition date).
  bool RequiresDisclosedVendors() const;
  // Whether the CMP showed `vendor` to the user: listed in DisclosedVendors. A string without the
  // segment discloses every vendor only when it predates TCF 2.3; a 2.3-era string without it is
  // invalid, so it discloses no one.
  bool VendorDisclosed(int vendor) const;
  friend bool operator==(const TcfString&, const TcfString&) = default;

 private:
  static bool Bit(uint32_t bits, int i) { return i >= 1 && i <= 32 && (bits >> (i - 1)) & 1; }
};

inline constexpr int kTcf23PolicyVersion = 5;
// 2026-02-28T00:00:00Z: TC strings created from then on must carry DisclosedVendors.
inline constexpr int64_t kTcf23DeadlineUnixSeconds = 1772236800;

// InvalidArgument naming what is wrong: not base64url, a version other than 2, a truncated
// field, a range that runs backwards, a segment type repeated or unknown.
absl::StatusOr<TcfString> DecodeTcf(std::string_view text);

// The canonical encoding: vendor sections in whichever of bitfield and range is shorter.
std::string EncodeTcf(const TcfString& tc);

}  // namespace vetrina::engine
