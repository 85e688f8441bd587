// US privacy signals: the IAB US Privacy string ("1YNN": version, notice, opt-out of sale, LSPA)
// and the Global Privacy Platform string (a header naming its sections, then one section per
// jurisdiction). The GPP decoder reads the header (Fibonacci-coded section ids) and decodes the
// sections the bidder acts on: tcfeuv2 (2), uspv1 (6), usnat (7), usca (8) and every US state
// section from usva (9) to usri (27), the states read through one table of their published field
// layouts; others (Canada's tcfcav1) are kept raw. Every malformed input is an error, never a
// crash.
//
//   absl::StatusOr<UsPrivacy> usp = DecodeUsPrivacy("1YYN");   // usp->OptedOutOfSale()
//   absl::StatusOr<GppString> gpp = DecodeGpp(request.regs.gpp);
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/privacy/tcf.h"

namespace vetrina::engine {

struct UsPrivacy {
  int version = 1;
  char notice = '-';  // 'Y', 'N' or '-' (not applicable)
  char opt_out_sale = '-';
  char lspa_covered = '-';
  bool OptedOutOfSale() const { return opt_out_sale == 'Y'; }
  // "1---" says the CCPA does not apply.
  bool Applies() const { return notice != '-' || opt_out_sale != '-' || lspa_covered != '-'; }
};

// InvalidArgument unless exactly 4 characters: '1' then three of 'Y', 'N', '-'.
absl::StatusOr<UsPrivacy> DecodeUsPrivacy(std::string_view text);

// The multi-state US section (usnat, GPP section 7). Values are the spec's 2-bit codes:
// 0 not applicable, 1 yes / opted out, 2 no / did not opt out.
struct UsNat {
  int version = 1;
  int sharing_notice = 0;
  int sale_opt_out_notice = 0;
  int sharing_opt_out_notice = 0;
  int targeted_advertising_opt_out_notice = 0;
  int sensitive_data_processing_opt_out_notice = 0;
  int sensitive_data_limit_use_notice = 0;
  int sale_opt_out = 0;
  int sharing_opt_out = 0;
  int targeted_advertising_opt_out = 0;
  std::vector<int> sensitive_data_processing;            // 12 (v1) or 16 (v2)
  std::vector<int> known_child_sensitive_data_consents;  // 2 (v1) or 3 (v2)
  int personal_data_consents = 0;
  int mspa_covered_transaction = 0;
  int mspa_opt_out_option_mode = 0;
  int mspa_service_provider_mode = 0;
  std::optional<bool> gpc;  // the optional GPC subsection
};
absl::StatusOr<UsNat> DecodeUsNat(std::string_view section);

// California (usca, GPP section 8): the fields the bidder acts on.
struct UsCa {
  int version = 1;
  int sale_opt_out = 0;
  int sharing_opt_out = 0;
  std::vector<int> known_child_sensitive_data_consents;
  std::optional<bool> gpc;
};
absl::StatusOr<UsCa> DecodeUsCa(std::string_view section);

// A US state section (GPP ids 9 to 27), decoded by the state's field layout as IAB's GPP
// libraries publish it, and normalised to usnat's terms as Prebid normalises state sections.
struct UsStateField {
  std::string_view name;  // camelCase, as the GPP libraries name the field ("saleOptOut")
  bool list = false;      // a list of 2-bit codes rather than one integer
  std::vector<int> values;
  friend bool operator==(const UsStateField&, const UsStateField&) = default;
};
struct UsState {
  int section_id = 0;
  std::string_view name;             // "usva"
  std::vector<UsStateField> fields;  // every field the section carries, in its order
  // Normalised, in usnat's 2-bit codes (0 not applicable, 1 opted out, 2 did not opt out); a
  // state without the field reads 0. No state section has a SharingOptOut field: sharing for
  // advertising falls under TargetedAdvertisingOptOut there.
  int sale_opt_out = 0;
  int targeted_advertising_opt_out = 0;
  std::vector<int> known_child_sensitive_data_consents;  // the state's codes (one, or a list)
  std::optional<bool> gpc;  // the optional GPC subsection, in the states that define one
  // Any known-child code other than 0 (not applicable) says the user is a known child; like
  // Prebid, we read every such code in a state section as a child whose data may not be used.
  bool KnownChild() const;
  // Normalised to usnat: opted out of sale or targeted advertising, GPC, or a known child.
  bool OptedOut() const;
  const UsStateField* Field(std::string_view name) const;
};
// Whether `section_id` is a US state section the table covers, and its name ("usva"), or "".
bool IsUsStateSection(int section_id);
std::string_view UsStateSectionName(int section_id);
// InvalidArgument for an unknown state id, a version the layout does not know, a truncated
// section, an undefined code (3), a subsection the state does not define, a bad GPC subsection
// or sensitive-data segment.
absl::StatusOr<UsState> DecodeUsState(int section_id, std::string_view section);

inline constexpr int kGppTcfEuV2 = 2;
inline constexpr int kGppUspV1 = 6;
inline constexpr int kGppUsNat = 7;
inline constexpr int kGppUsCa = 8;
inline constexpr int kGppFirstUsState = 9;  // usva
inline constexpr int kGppLastUsState = 27;  // usri

struct GppString {
  int type = 3;
  int version = 1;
  std::vector<int> section_ids;         // as the header lists them
  std::map<int, std::string> sections;  // raw text by section id
  std::optional<TcfString> tcfeuv2;
  std::optional<UsPrivacy> uspv1;
  std::optional<UsNat> usnat;
  std::optional<UsCa> usca;
  std::map<int, UsState> us_states;  // by section id, 9 to 27
};

// InvalidArgument for a bad header, a section count that does not match it, an empty section,
// or a malformed section of a kind we decode.
absl::StatusOr<GppString> DecodeGpp(std::string_view text);

}  // namespace vetrina::engine
