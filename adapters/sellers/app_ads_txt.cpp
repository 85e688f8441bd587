#include "adapters/sellers/app_ads_txt.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "base/strings.h"

namespace vetrina::sellers {
namespace {

// Abseil here has its own string_view.
absl::string_view Absl(std::string_view s) { return {s.data(), s.size()}; }

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    fields.push_back(StripAsciiWhitespace(s.substr(start, comma - start)));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

bool IsDomain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return s.front() != '.' && s.back() != '.';
}

// `NAME=value` with NAME letters only: a variable (ads.txt 1.1 §3.5). MANAGERDOMAIN's value may
// itself hold a comma (`domain,country`), so a variable is recognised before records are.
bool SplitVariable(std::string_view line, std::string_view* name, std::string_view* value) {
  const size_t eq = line.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  const std::string_view n = StripAsciiWhitespace(line.substr(0, eq));
  if (n.empty()) return false;
  for (char c : n) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) return false;
  }
  *name = n;
  *value = StripAsciiWhitespace(line.substr(eq + 1));
  return true;
}

}  // namespace

bool IsValidSellersKey(std::string_view key) {
  if (key.empty() || key.size() > 255 || key.front() == '.') return false;
  for (char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return false;
    }
  }
  return key != "..";
}

absl::StatusOr<engine::AppAdsTxt> ParseAppAdsTxt(std::string_view text, UploadReport* report) {
  UploadReport ignored;
  if (report == nullptr) report = &ignored;
  if (text.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("not a text file (NUL byte)");
  }
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte order mark
  engine::AppAdsTxt file;
  size_t number = 0;
  while (!text.empty()) {
    ++number;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = StripAsciiWhitespace(line);  // also the CR of a CRLF
    if (line.empty()) continue;
    const std::string at = StrCat("line ", number);
    std::string_view name, value;
    if (SplitVariable(line, &name, &value)) {
      if (absl::EqualsIgnoreCase(Absl(name), "OWNERDOMAIN")) {
        if (!IsDomain(value)) {
          report->Skip(at, "OWNERDOMAIN: not a domain");
          continue;
        }
        file.owner_domain = absl::AsciiStrToLower(Absl(value));
      } else if (absl::EqualsIgnoreCase(Absl(name), "MANAGERDOMAIN")) {
        file.manager_domains.emplace_back(value);
      }
      continue;
    }
    // Extension data after ';' belongs to the record and is not read.
    if (const size_t semicolon = line.find(';'); semicolon != std::string_view::npos) {
      line = StripAsciiWhitespace(line.substr(0, semicolon));
    }
    const std::vector<std::string_view> fields = SplitCommas(line);
    if (fields.size() < 3 || fields.size() > 4) {
      report->Skip(at, "a record has three or four comma-separated fields");
      continue;
    }
    engine::AppAdsRecord record;
    if (!IsDomain(fields[0])) {
      report->Skip(at, "field 1: not a domain");
      continue;
    }
    record.ad_system_domain = absl::AsciiStrToLower(Absl(fields[0]));
    if (fields[1].empty()) {
      report->Skip(at, "field 2: empty account id");
      continue;
    }
    record.seller_account_id = std::string(fields[1]);
    if (absl::EqualsIgnoreCase(Absl(fields[2]), "DIRECT")) {
      record.relationship = engine::SellerRelationship::kDirect;
    } else if (absl::EqualsIgnoreCase(Absl(fields[2]), "RESELLER")) {
      record.relationship = engine::SellerRelationship::kReseller;
    } else {
      report->Skip(at, "field 3: must be DIRECT or RESELLER");
      continue;
    }
    if (fields.size() == 4) record.certification_authority_id = std::string(fields[3]);
    if (file.records.size() == kMaxAppAdsRecords) {
      return absl::InvalidArgumentError(StrCat("more than ", kMaxAppAdsRecords, " records"));
    }
    file.records.push_back(std::move(record));
    ++report->accepted;
  }
  return file;
}

}  // namespace vetrina::sellers
