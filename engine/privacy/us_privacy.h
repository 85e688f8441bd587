// US privacy signals: the IAB US Privacy string ("1YNN": version, notice, opt-out of sale, LSPA)
// and the Global Privacy Platform string (a header naming its sections, then one section per
// jurisdiction). The GPP decoder reads the header (Fibonacci-coded section ids) and decodes the
// sections the bidder acts on: tcfeuv2 (2), uspv1 (6), usnat (7) and usca (8); others are kept
// raw. Every malformed input is an error, never a crash.
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

inline constexpr int kGppTcfEuV2 = 2;
inline constexpr int kGppUspV1 = 6;
inline constexpr int kGppUsNat = 7;
inline constexpr int kGppUsCa = 8;

struct GppString {
  int type = 3;
  int version = 1;
  std::vector<int> section_ids;         // as the header lists them
  std::map<int, std::string> sections;  // raw text by section id
  std::optional<TcfString> tcfeuv2;
  std::optional<UsPrivacy> uspv1;
  std::optional<UsNat> usnat;
  std::optional<UsCa> usca;
};

// InvalidArgument for a bad header, a section count that does not match it, an empty section,
// or a malformed section of a kind we decode.
absl::StatusOr<GppString> DecodeGpp(std::string_view text);

}  // namespace vetrina::engine
