#include "engine/privacy/tcf.h"

#include <algorithm>

#include "base/strings.h"
#include "engine/privacy/bit_reader.h"

namespace vetrina::engine {
namespace {

constexpr int kMaxVendorId = 65535;

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(StrCat("TCF string: ", what));
}

absl::Time FromDeciseconds(uint64_t ds) {
  return absl::UnixEpoch() + absl::Milliseconds(static_cast<int64_t>(ds) * 100);
}

uint64_t ToDeciseconds(absl::Time t) {
  const int64_t ms = absl::ToUnixMillis(t);
  return ms <= 0 ? 0 : static_cast<uint64_t>(ms / 100);
}

bool ReadLetters(Base64BitReader& r, std::string* out) {
  uint64_t a, b;
  if (!r.Read(6, &a) || !r.Read(6, &b) || a > 25 || b > 25) return false;
  *out = {static_cast<char>('A' + a), static_cast<char>('A' + b)};
  return true;
}

void WriteLetters(Base64BitWriter& w, std::string_view letters) {
  for (int i = 0; i < 2; ++i) {
    const char c = i < static_cast<int>(letters.size()) ? letters[i] : 'A';
    w.Write(6, c >= 'A' && c <= 'Z' ? c - 'A' : 0);
  }
}

// A range section: NumEntries(12), then per entry IsARange(1), StartOrOnly(16), [End(16)].
absl::Status ReadRanges(Base64BitReader& r, VendorSet* set) {
  uint64_t entries;
  if (!r.Read(12, &entries)) return Malformed("truncated range section");
  for (uint64_t i = 0; i < entries; ++i) {
    bool is_range;
    uint64_t first, last;
    if (!r.ReadBool(&is_range) || !r.Read(16, &first)) return Malformed("truncated range entry");
    last = first;
    if (is_range && !r.Read(16, &last)) return Malformed("truncated range entry");
    if (first == 0 || first > last) return Malformed("range entry starts at 0 or runs backwards");
    set->Add(static_cast<int>(first), static_cast<int>(last));
  }
  set->Normalize();  // out-of-order entries are sorted once, not per entry
  return absl::OkStatus();
}

// A vendor section: MaxVendorId(16), IsRangeEncoding(1), then a bitfield or range section.
absl::Status ReadVendors(Base64BitReader& r, VendorSet* set) {
  uint64_t max_id;
  bool range;
  if (!r.Read(16, &max_id) || !r.ReadBool(&range)) return Malformed("truncated vendor section");
  set->max_vendor_id = static_cast<int>(max_id);
  if (range) return ReadRanges(r, set);
  if (r.bits_left() < max_id) return Malformed("vendor bitfield shorter than MaxVendorId");
  int run_start = 0;
  for (uint64_t id = 1; id <= max_id; ++id) {
    bool bit = false;
    r.ReadBool(&bit);  // cannot fail: the length was checked above
    if (bit && run_start == 0) run_start = static_cast<int>(id);
    if (!bit && run_start != 0) {
      set->Add(run_start, static_cast<int>(id) - 1);
      run_start = 0;
    }
  }
  if (run_start != 0) set->Add(run_start, static_cast<int>(max_id));
  return absl::OkStatus();
}

void WriteRanges(Base64BitWriter& w, const VendorSet& set) {
  w.Write(12, set.ranges().size());
  for (const auto& [first, last] : set.ranges()) {
    w.Bit(first != last);
    w.Write(16, first);
    if (first != last) w.Write(16, last);
  }
}

void WriteVendors(Base64BitWriter& w, const VendorSet& set) {
  const int max_id =
      std::max(set.max_vendor_id, set.ranges().empty() ? 0 : set.ranges().back().second);
  w.Write(16, max_id);
  size_t range_bits = 12;
  for (const auto& [first, last] : set.ranges()) range_bits += first == last ? 17 : 33;
  const bool use_range = range_bits < static_cast<size_t>(max_id);
  w.Bit(use_range);
  if (use_range) return WriteRanges(w, set);
  for (int id = 1; id <= max_id; ++id) w.Bit(set.Contains(id));
}

absl::Status DecodeCore(Base64BitReader& r, TcfString* tc) {
  uint64_t v;
  if (!r.Read(6, &v)) return Malformed("empty");
  if (v != 2) return Malformed(StrCat("version ", v, " is not 2"));
  tc->version = 2;
  uint64_t created, updated;
  bool ok = r.Read(36, &created) && r.Read(36, &updated) && r.ReadInt(12, &tc->cmp_id) &&
            r.ReadInt(12, &tc->cmp_version) && r.ReadInt(6, &tc->consent_screen) &&
            ReadLetters(r, &tc->consent_language) && r.ReadInt(12, &tc->vendor_list_version) &&
            r.ReadInt(6, &tc->tcf_policy_version) && r.ReadBool(&tc->is_service_specific) &&
            r.ReadBool(&tc->use_non_standard_texts);
  uint64_t special = 0, consents = 0, interests = 0;
  ok = ok && r.Read(12, &special) && r.Read(24, &consents) && r.Read(24, &interests) &&
       r.ReadBool(&tc->purpose_one_treatment) && ReadLetters(r, &tc->publisher_country_code);
  if (!ok) return Malformed("truncated core segment");
  tc->created = FromDeciseconds(created);
  tc->last_updated = FromDeciseconds(updated);
  // Field i (1-based) is the i-th bit from the left: store it as bit i-1.
  auto reverse = [](uint64_t bits, int n) {
    uint32_t out = 0;
    for (int i = 0; i < n; ++i) out |= static_cast<uint32_t>((bits >> (n - 1 - i)) & 1) << i;
    return out;
  };
  tc->special_feature_opt_ins = reverse(special, 12);
  tc->purpose_consents = reverse(consents, 24);
  tc->purpose_legitimate_interests = reverse(interests, 24);
  if (absl::Status s = ReadVendors(r, &tc->vendor_consents); !s.ok()) return s;
  if (absl::Status s = ReadVendors(r, &tc->vendor_legitimate_interests); !s.ok()) return s;
  uint64_t restrictions;
  if (!r.Read(12, &restrictions)) return Malformed("truncated publisher restrictions");
  for (uint64_t i = 0; i < restrictions; ++i) {
    PublisherRestriction pr;
    if (!r.ReadInt(6, &pr.purpose_id) || !r.ReadInt(2, &pr.type)) {
      return Malformed("truncated publisher restriction");
    }
    if (absl::Status s = ReadRanges(r, &pr.vendors); !s.ok()) return s;
    tc->publisher_restrictions.push_back(std::move(pr));
  }
  return absl::OkStatus();
}

void EncodeBits(Base64BitWriter& w, uint32_t bits, int n) {
  for (int i = 0; i < n; ++i) w.Bit((bits >> i) & 1);
}

}  // namespace

void VendorSet::Add(int first, int last) {
  if (ranges_.empty() || first > ranges_.back().second + 1) {
    ranges_.emplace_back(first, last);  // ascending input, the usual case
  } else if (first >= ranges_.back().first) {
    ranges_.back().second = std::max(ranges_.back().second, last);
  } else {
    ranges_.emplace_back(first, last);
    sorted_ = false;
  }
}

void VendorSet::Normalize() {
  if (sorted_) return;
  std::sort(ranges_.begin(), ranges_.end());
  std::vector<std::pair<int, int>> merged;
  for (const auto& r : ranges_) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  ranges_ = std::move(merged);
  sorted_ = true;
}

bool VendorSet::Contains(int id) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(id, kMaxVendorId + 1));
  return it != ranges_.begin() && std::prev(it)->second >= id;
}

std::vector<int> VendorSet::Ids() const {
  std::vector<int> ids;
  for (const auto& [first, last] : ranges_) {
    for (int id = first; id <= last; ++id) ids.push_back(id);
  }
  return ids;
}

std::optional<int> TcfString::RestrictionFor(int purpose, int vendor) const {
  for (const PublisherRestriction& pr : publisher_restrictions) {
    if (pr.purpose_id == purpose && pr.vendors.Contains(vendor)) return pr.type;
  }
  return std::nullopt;
}

bool TcfString::RequiresDisclosedVendors() const {
  return tcf_policy_version >= kTcf23PolicyVersion ||
         created >= absl::FromUnixSeconds(kTcf23DeadlineUnixSeconds);
}

bool TcfString::VendorDisclosed(int vendor) const {
  if (disclosed_vendors) return disclosed_vendors->Contains(vendor);
  return !RequiresDisclosedVendors();
}

absl::StatusOr<TcfString> DecodeTcf(std::string_view text) {
  if (text.empty()) return Malformed("empty");
  if (text.size() > 64 * 1024) return Malformed("longer than 64 KiB");
  TcfString tc;
  bool core = true;
  bool seen[4] = {false, false, false, false};
  while (true) {
    const size_t dot = text.find('.');
    const std::string_view segment = text.substr(0, dot);
    Base64BitReader r(segment);
    if (segment.empty() || !r.valid()) return Malformed("not base64url");
    if (core) {
      if (absl::Status s = DecodeCore(r, &tc); !s.ok()) return s;
      core = false;
    } else {
      uint64_t type;
      if (!r.Read(3, &type)) return Malformed("truncated segment type");
      if (type < 1 || type > 3 || seen[type]) return Malformed("unknown or repeated segment");
      seen[type] = true;
      if (type == 1 || type == 2) {
        VendorSet set;
        if (absl::Status s = ReadVendors(r, &set); !s.ok()) return s;
        (type == 1 ? tc.disclosed_vendors : tc.allowed_vendors) = std::move(set);
      } else {
        TcfString::PublisherTc p;
        uint64_t consents, interests;
        if (!r.Read(24, &consents) || !r.Read(24, &interests) ||
            !r.ReadInt(6, &p.num_custom_purposes) ||
            !r.Read(p.num_custom_purposes, &p.custom_purpose_consents) ||
            !r.Read(p.num_custom_purposes, &p.custom_purpose_legitimate_interests)) {
          return Malformed("truncated publisher TC segment");
        }
        for (int i = 0; i < 24; ++i) {
          p.purpose_consents |= static_cast<uint32_t>((consents >> (23 - i)) & 1) << i;
          p.purpose_legitimate_interests |= static_cast<uint32_t>((interests >> (23 - i)) & 1) << i;
        }
        tc.publisher_tc = p;
      }
    }
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  return tc;
}

std::string EncodeTcf(const TcfString& tc) {
  Base64BitWriter w;
  w.Write(6, 2);
  w.Write(36, ToDeciseconds(tc.created));
  w.Write(36, ToDeciseconds(tc.last_updated));
  w.Write(12, tc.cmp_id);
  w.Write(12, tc.cmp_version);
  w.Write(6, tc.consent_screen);
  WriteLetters(w, tc.consent_language);
  w.Write(12, tc.vendor_list_version);
  w.Write(6, tc.tcf_policy_version);
  w.Bit(tc.is_service_specific);
  w.Bit(tc.use_non_standard_texts);
  EncodeBits(w, tc.special_feature_opt_ins, 12);
  EncodeBits(w, tc.purpose_consents, 24);
  EncodeBits(w, tc.purpose_legitimate_interests, 24);
  w.Bit(tc.purpose_one_treatment);
  WriteLetters(w, tc.publisher_country_code);
  WriteVendors(w, tc.vendor_consents);
  WriteVendors(w, tc.vendor_legitimate_interests);
  w.Write(12, tc.publisher_restrictions.size());
  for (const PublisherRestriction& pr : tc.publisher_restrictions) {
    w.Write(6, pr.purpose_id);
    w.Write(2, pr.type);
    WriteRanges(w, pr.vendors);
  }
  std::string out = w.Finish();
  auto vendor_segment = [&](int type, const VendorSet& set) {
    Base64BitWriter s;
    s.Write(3, type);
    WriteVendors(s, set);
    StrAppend(&out, ".", s.Finish());
  };
  if (tc.disclosed_vendors) vendor_segment(1, *tc.disclosed_vendors);
  if (tc.allowed_vendors) vendor_segment(2, *tc.allowed_vendors);
  if (tc.publisher_tc) {
    Base64BitWriter s;
    s.Write(3, 3);
    EncodeBits(s, tc.publisher_tc->purpose_consents, 24);
    EncodeBits(s, tc.publisher_tc->purpose_legitimate_interests, 24);
    s.Write(6, tc.publisher_tc->num_custom_purposes);
    s.Write(tc.publisher_tc->num_custom_purposes, tc.publisher_tc->custom_purpose_consents);
    s.Write(tc.publisher_tc->num_custom_purposes,
            tc.publisher_tc->custom_purpose_legitimate_interests);
    StrAppend(&out, ".", s.Finish());
  }
  return out;
}

}  // namespace vetrina::engine
