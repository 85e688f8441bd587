#include "engine/privacy/us_privacy.h"

#include "base/strings.h"
#include "engine/privacy/bit_reader.h"

namespace vetrina::engine {
namespace {

absl::Status Malformed(std::string_view kind, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(kind, ": ", what));
}

bool IsFlag(char c) { return c == 'Y' || c == 'N' || c == '-'; }

bool ReadCodes(Base64BitReader& r, size_t n, std::vector<int>* out) {
  for (size_t i = 0; i < n; ++i) {
    int v;
    if (!r.ReadInt(2, &v)) return false;
    out->push_back(v);
  }
  return true;
}

// The optional GPC subsection after a '.': SubsectionType(2) = 1, Gpc(1).
absl::StatusOr<std::optional<bool>> ReadGpc(std::string_view kind, std::string_view rest) {
  if (rest.empty()) return std::optional<bool>();
  Base64BitReader r(rest);
  int type;
  bool gpc;
  if (!r.valid() || !r.ReadInt(2, &type) || type != 1 || !r.ReadBool(&gpc)) {
    return Malformed(kind, "bad GPC subsection");
  }
  return std::optional<bool>(gpc);
}

}  // namespace

absl::StatusOr<UsPrivacy> DecodeUsPrivacy(std::string_view text) {
  if (text.size() != 4) return Malformed("us_privacy", "must be 4 characters");
  if (text[0] != '1') return Malformed("us_privacy", "version must be 1");
  if (!IsFlag(text[1]) || !IsFlag(text[2]) || !IsFlag(text[3])) {
    return Malformed("us_privacy", "flags must be Y, N or -");
  }
  return UsPrivacy{1, text[1], text[2], text[3]};
}

absl::StatusOr<UsNat> DecodeUsNat(std::string_view section) {
  const size_t dot = section.find('.');
  Base64BitReader r(section.substr(0, dot));
  UsNat n;
  if (!r.valid() || !r.ReadInt(6, &n.version) || (n.version != 1 && n.version != 2)) {
    return Malformed("usnat", "bad version");
  }
  const bool ok =
      r.ReadInt(2, &n.sharing_notice) && r.ReadInt(2, &n.sale_opt_out_notice) &&
      r.ReadInt(2, &n.sharing_opt_out_notice) &&
      r.ReadInt(2, &n.targeted_advertising_opt_out_notice) &&
      r.ReadInt(2, &n.sensitive_data_processing_opt_out_notice) &&
      r.ReadInt(2, &n.sensitive_data_limit_use_notice) && r.ReadInt(2, &n.sale_opt_out) &&
      r.ReadInt(2, &n.sharing_opt_out) && r.ReadInt(2, &n.targeted_advertising_opt_out) &&
      ReadCodes(r, n.version == 1 ? 12 : 16, &n.sensitive_data_processing) &&
      ReadCodes(r, n.version == 1 ? 2 : 3, &n.known_child_sensitive_data_consents) &&
      r.ReadInt(2, &n.personal_data_consents) && r.ReadInt(2, &n.mspa_covered_transaction) &&
      r.ReadInt(2, &n.mspa_opt_out_option_mode) && r.ReadInt(2, &n.mspa_service_provider_mode);
  if (!ok) return Malformed("usnat", "truncated");
  absl::StatusOr<std::optional<bool>> gpc =
      ReadGpc("usnat", dot == std::string_view::npos ? "" : section.substr(dot + 1));
  if (!gpc.ok()) return gpc.status();
  n.gpc = *gpc;
  return n;
}

absl::StatusOr<UsCa> DecodeUsCa(std::string_view section) {
  const size_t dot = section.find('.');
  Base64BitReader r(section.substr(0, dot));
  UsCa c;
  int notices[3];
  std::vector<int> sensitive;
  int rest[4];
  if (!r.valid() || !r.ReadInt(6, &c.version) || c.version != 1) {
    return Malformed("usca", "bad version");
  }
  const bool ok = r.ReadInt(2, &notices[0]) && r.ReadInt(2, &notices[1]) &&
                  r.ReadInt(2, &notices[2]) && r.ReadInt(2, &c.sale_opt_out) &&
                  r.ReadInt(2, &c.sharing_opt_out) && ReadCodes(r, 9, &sensitive) &&
                  ReadCodes(r, 2, &c.known_child_sensitive_data_consents) &&
                  r.ReadInt(2, &rest[0]) && r.ReadInt(2, &rest[1]) && r.ReadInt(2, &rest[2]) &&
                  r.ReadInt(2, &rest[3]);
  if (!ok) return Malformed("usca", "truncated");
  absl::StatusOr<std::optional<bool>> gpc =
      ReadGpc("usca", dot == std::string_view::npos ? "" : section.substr(dot + 1));
  if (!gpc.ok()) return gpc.status();
  c.gpc = *gpc;
  return c;
}

absl::StatusOr<GppString> DecodeGpp(std::string_view text) {
  if (text.size() > 64 * 1024) return Malformed("gpp", "longer than 64 KiB");
  const size_t tilde = text.find('~');
  Base64BitReader header(text.substr(0, tilde));
  GppString g;
  if (!header.valid() || !header.ReadInt(6, &g.type) || g.type != 3) {
    return Malformed("gpp", "header type is not 3");
  }
  uint64_t entries;
  if (!header.ReadInt(6, &g.version) || !header.Read(12, &entries)) {
    return Malformed("gpp", "truncated header");
  }
  uint64_t offset = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    bool is_range;
    uint64_t first, count = 0;
    if (!header.ReadBool(&is_range) || !header.ReadFibonacci(&first) ||
        (is_range && !header.ReadFibonacci(&count))) {
      return Malformed("gpp", "corrupt section-id range in the header");
    }
    first += offset;
    const uint64_t last = first + count;
    if (last > 64) return Malformed("gpp", "section id out of range");
    for (uint64_t id = first; id <= last; ++id) g.section_ids.push_back(static_cast<int>(id));
    offset = last;
  }
  std::vector<std::string_view> parts;
  if (tilde != std::string_view::npos) {
    std::string_view rest = text.substr(tilde + 1);
    while (true) {
      const size_t next = rest.find('~');
      parts.push_back(rest.substr(0, next));
      if (next == std::string_view::npos) break;
      rest.remove_prefix(next + 1);
    }
  }
  if (parts.size() != g.section_ids.size()) {
    return Malformed("gpp", "the header's section ids and the sections do not match");
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return Malformed("gpp", "empty section");
    const int id = g.section_ids[i];
    g.sections[id] = std::string(parts[i]);
    switch (id) {
      case kGppTcfEuV2: {
        absl::StatusOr<TcfString> tc = DecodeTcf(parts[i]);
        if (!tc.ok()) return tc.status();
        g.tcfeuv2 = *std::move(tc);
        break;
      }
      case kGppUspV1: {
        absl::StatusOr<UsPrivacy> usp = DecodeUsPrivacy(parts[i]);
        if (!usp.ok()) return usp.status();
        g.uspv1 = *usp;
        break;
      }
      case kGppUsNat: {
        absl::StatusOr<UsNat> nat = DecodeUsNat(parts[i]);
        if (!nat.ok()) return nat.status();
        g.usnat = *std::move(nat);
        break;
      }
      case kGppUsCa: {
        absl::StatusOr<UsCa> ca = DecodeUsCa(parts[i]);
        if (!ca.ok()) return ca.status();
        g.usca = *std::move(ca);
        break;
      }
      default:
        break;  // kept raw
    }
  }
  return g;
}

}  // namespace vetrina::engine
