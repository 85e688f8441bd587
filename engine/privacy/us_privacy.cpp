#include "engine/privacy/us_privacy.h"

#include <algorithm>
#include <cassert>

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

// The US state sections, one row per state: each field in the order the section encodes it, as
// IAB Tech Lab's GPP libraries (iabgpp-es, iabgpp-java) define them. The first field is the
// version, which must be 1. What comes after the core segment's '.' differs by state: nothing, the
// GPC subsection, or (Indiana, Kentucky, Rhode Island) a segment of sensitive-data consents.
enum class Role : uint8_t { kOther, kSaleOptOut, kTargetedAdvertisingOptOut, kKnownChild };
struct FieldSpec {
  std::string_view name;
  int bits = 2;
  int count = 0;  // 0: one integer; n: a list of n 2-bit codes
  Role role = Role::kOther;
};
enum class Subsection : uint8_t { kNone, kGpc, kSensitiveData };
struct StateLayout {
  int id;
  std::string_view name;
  std::vector<FieldSpec> core;
  Subsection subsection;
};

const FieldSpec kVersion{"version", 6};
const FieldSpec kMspaVersion{"mspaVersion", 6};
const FieldSpec kSharingNotice{"sharingNotice"};
const FieldSpec kProcessingNotice{"processingNotice"};
const FieldSpec kSaleOptOutNotice{"saleOptOutNotice"};
const FieldSpec kTargetedNotice{"targetedAdvertisingOptOutNotice"};
const FieldSpec kSensitiveProcessingNotice{"sensitiveDataProcessingOptOutNotice"};
const FieldSpec kSensitiveOptOutNotice{"sensitiveDataOptOutNotice"};
const FieldSpec kSaleOptOut{"saleOptOut", 2, 0, Role::kSaleOptOut};
const FieldSpec kTargetedOptOut{"targetedAdvertisingOptOut", 2, 0,
                                Role::kTargetedAdvertisingOptOut};
const FieldSpec kKnownChild{"knownChildSensitiveDataConsents", 2, 0, Role::kKnownChild};
const FieldSpec kAdditionalConsent{"additionalDataProcessingConsent"};
const FieldSpec kMspaCovered{"mspaCoveredTransaction"};
const FieldSpec kMspaOptOutMode{"mspaOptOutOptionMode"};
const FieldSpec kMspaProviderMode{"mspaServiceProviderMode"};
const FieldSpec kMspaMode{"mspaMode"};
FieldSpec Sensitive(int n) { return {"sensitiveDataProcessing", 2, n}; }
FieldSpec KnownChildren(int n) {
  return {"knownChildSensitiveDataConsents", 2, n, Role::kKnownChild};
}
constexpr int kSensitiveDataSegmentLength = 8;

const std::vector<StateLayout>& StateLayouts() {
  // Most states: notice fields, opt-outs, sensitive data, known child, then the MSPA modes.
  auto classic = [](std::vector<FieldSpec> head, FieldSpec sensitive, FieldSpec child,
                    bool additional_consent) {
    std::vector<FieldSpec> fields = std::move(head);
    for (const FieldSpec& f : {kSaleOptOut, kTargetedOptOut, sensitive, child}) fields.push_back(f);
    if (additional_consent) fields.push_back(kAdditionalConsent);
    for (const FieldSpec& f : {kMspaCovered, kMspaOptOutMode, kMspaProviderMode}) {
      fields.push_back(f);
    }
    return fields;
  };
  // The 2025 layout (Maryland, Indiana, Kentucky, Rhode Island): MSPA fields first.
  auto mspa_first = [](bool known_child) {
    std::vector<FieldSpec> fields = {kMspaVersion,      kMspaCovered,      kMspaMode,
                                     kProcessingNotice, kSaleOptOutNotice, kTargetedNotice,
                                     kSaleOptOut,       kTargetedOptOut};
    if (known_child) fields.push_back(kKnownChild);
    fields.push_back(kAdditionalConsent);
    return fields;
  };
  const std::vector<FieldSpec> sharing = {kVersion, kSharingNotice, kSaleOptOutNotice,
                                          kTargetedNotice};
  const std::vector<FieldSpec> processing = {kVersion, kProcessingNotice, kSaleOptOutNotice,
                                             kTargetedNotice};
  static const std::vector<StateLayout> layouts = {
      {9, "usva", classic(sharing, Sensitive(8), kKnownChild, false), Subsection::kNone},
      {10, "usco", classic(sharing, Sensitive(7), kKnownChild, false), Subsection::kGpc},
      {11, "usut",
       classic({kVersion, kSharingNotice, kSaleOptOutNotice, kTargetedNotice,
                kSensitiveProcessingNotice},
               Sensitive(8), kKnownChild, false),
       Subsection::kNone},
      {12, "usct", classic(sharing, Sensitive(8), KnownChildren(3), false), Subsection::kGpc},
      {13, "usfl", classic(processing, Sensitive(8), KnownChildren(3), true), Subsection::kNone},
      {14, "usmt", classic(sharing, Sensitive(8), KnownChildren(3), true), Subsection::kGpc},
      {15, "usor", classic(processing, Sensitive(11), KnownChildren(3), true), Subsection::kGpc},
      {16, "ustx", classic(processing, Sensitive(8), kKnownChild, true), Subsection::kGpc},
      {17, "usde", classic(processing, Sensitive(9), KnownChildren(5), true), Subsection::kGpc},
      {18, "usia",
       classic({kVersion, kProcessingNotice, kSaleOptOutNotice, kTargetedNotice,
                kSensitiveOptOutNotice},
               Sensitive(8), kKnownChild, false),
       Subsection::kGpc},
      {19, "usne", classic(processing, Sensitive(8), kKnownChild, true), Subsection::kGpc},
      {20, "usnh", classic(processing, Sensitive(8), KnownChildren(3), true), Subsection::kGpc},
      {21, "usnj", classic(processing, Sensitive(10), KnownChildren(5), true), Subsection::kGpc},
      {22, "ustn", classic(processing, Sensitive(8), kKnownChild, true), Subsection::kGpc},
      {23, "usmn", classic(processing, Sensitive(8), kKnownChild, true), Subsection::kGpc},
      {24, "usmd", mspa_first(false), Subsection::kGpc},
      {25, "usin", mspa_first(true), Subsection::kSensitiveData},
      {26, "usky", mspa_first(true), Subsection::kSensitiveData},
      {27, "usri", mspa_first(true), Subsection::kSensitiveData},
  };
  return layouts;
}

const StateLayout* FindStateLayout(int section_id) {
  if (section_id < kGppFirstUsState || section_id > kGppLastUsState) return nullptr;
  const StateLayout& layout = StateLayouts()[section_id - kGppFirstUsState];
  assert(layout.id == section_id);
  return &layout;
}

// A field's values; each 2-bit code must be 0, 1 or 2 (3 is undefined in every state spec).
bool ReadStateField(Base64BitReader& r, const FieldSpec& spec, UsStateField* field) {
  const int n = spec.count == 0 ? 1 : spec.count;
  for (int i = 0; i < n; ++i) {
    int v;
    if (!r.ReadInt(spec.bits, &v) || (spec.bits == 2 && v > 2)) return false;
    field->values.push_back(v);
  }
  return true;
}

}  // namespace

bool IsUsStateSection(int section_id) { return FindStateLayout(section_id) != nullptr; }

std::string_view UsStateSectionName(int section_id) {
  const StateLayout* layout = FindStateLayout(section_id);
  return layout == nullptr ? std::string_view() : layout->name;
}

bool UsState::KnownChild() const {
  return std::any_of(known_child_sensitive_data_consents.begin(),
                     known_child_sensitive_data_consents.end(), [](int c) { return c != 0; });
}

bool UsState::OptedOut() const {
  return sale_opt_out == 1 || targeted_advertising_opt_out == 1 || gpc == true || KnownChild();
}

const UsStateField* UsState::Field(std::string_view field_name) const {
  for (const UsStateField& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

absl::StatusOr<UsState> DecodeUsState(int section_id, std::string_view section) {
  const StateLayout* layout = FindStateLayout(section_id);
  if (layout == nullptr) {
    return Malformed("gpp", StrCat("section ", section_id, " is not a US state section"));
  }
  const std::string_view kind = layout->name;
  const size_t dot = section.find('.');
  Base64BitReader r(section.substr(0, dot));
  if (!r.valid()) return Malformed(kind, "not base64url");
  UsState state;
  state.section_id = section_id;
  state.name = layout->name;
  for (const FieldSpec& spec : layout->core) {
    UsStateField field{spec.name, spec.count > 0, {}};
    if (!ReadStateField(r, spec, &field)) return Malformed(kind, "truncated or undefined code");
    if (&spec == &layout->core.front() && field.values[0] != 1) {
      return Malformed(kind, "bad version");
    }
    switch (spec.role) {
      case Role::kSaleOptOut:
        state.sale_opt_out = field.values[0];
        break;
      case Role::kTargetedAdvertisingOptOut:
        state.targeted_advertising_opt_out = field.values[0];
        break;
      case Role::kKnownChild:
        state.known_child_sensitive_data_consents = field.values;
        break;
      case Role::kOther:
        break;
    }
    state.fields.push_back(std::move(field));
  }
  const std::string_view rest = dot == std::string_view::npos ? "" : section.substr(dot + 1);
  switch (layout->subsection) {
    case Subsection::kNone:
      if (dot != std::string_view::npos) return Malformed(kind, "has no subsection");
      break;
    case Subsection::kGpc: {
      absl::StatusOr<std::optional<bool>> gpc = ReadGpc(kind, rest);
      if (!gpc.ok()) return gpc.status();
      state.gpc = *gpc;
      break;
    }
    case Subsection::kSensitiveData: {
      if (dot == std::string_view::npos) break;
      Base64BitReader sensitive(rest);
      UsStateField field{"sensitiveDataProcessing", true, {}};
      if (!sensitive.valid() ||
          !ReadStateField(sensitive, Sensitive(kSensitiveDataSegmentLength), &field)) {
        return Malformed(kind, "bad sensitive-data segment");
      }
      state.fields.push_back(std::move(field));
      break;
    }
  }
  return state;
}

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
        if (IsUsStateSection(id)) {
          absl::StatusOr<UsState> state = DecodeUsState(id, parts[i]);
          if (!state.ok()) return state.status();
          g.us_states.emplace(id, *std::move(state));
        }
        break;  // others are kept raw
    }
  }
  return g;
}

}  // namespace vetrina::engine
