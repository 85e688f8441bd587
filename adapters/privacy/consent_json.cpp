#include "adapters/privacy/consent_json.h"

#include "absl/time/time.h"
#include "base/json_writer.h"

namespace vetrina::privacy {
namespace {

void Ids(JsonWriter& w, uint64_t bits, int n) {
  w.BeginArray();
  for (int i = 0; i < n; ++i) {
    if ((bits >> i) & 1) w.Int(i + 1);
  }
  w.EndArray();
}

void Vendors(JsonWriter& w, const engine::VendorSet& set) {
  w.BeginArray();
  for (int id : set.Ids()) w.Int(id);
  w.EndArray();
}

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

void WriteTcf(JsonWriter& w, const engine::TcfString& tc) {
  w.Key("version");
  w.Int(tc.version);
  w.Key("created");
  w.String(Time(tc.created));
  w.Key("lastUpdated");
  w.String(Time(tc.last_updated));
  w.Key("cmpId");
  w.Int(tc.cmp_id);
  w.Key("cmpVersion");
  w.Int(tc.cmp_version);
  w.Key("consentScreen");
  w.Int(tc.consent_screen);
  w.Key("consentLanguage");
  w.String(tc.consent_language);
  w.Key("vendorListVersion");
  w.Int(tc.vendor_list_version);
  w.Key("tcfPolicyVersion");
  w.Int(tc.tcf_policy_version);
  w.Key("isServiceSpecific");
  w.Bool(tc.is_service_specific);
  w.Key("useNonStandardTexts");
  w.Bool(tc.use_non_standard_texts);
  w.Key("specialFeatureOptIns");
  Ids(w, tc.special_feature_opt_ins, 12);
  w.Key("purposeConsents");
  Ids(w, tc.purpose_consents, 24);
  w.Key("purposeLegitimateInterests");
  Ids(w, tc.purpose_legitimate_interests, 24);
  w.Key("purposeOneTreatment");
  w.Bool(tc.purpose_one_treatment);
  w.Key("publisherCountryCode");
  w.String(tc.publisher_country_code);
  w.Key("vendorConsentsMaxVendorId");
  w.Int(tc.vendor_consents.max_vendor_id);
  w.Key("vendorConsents");
  Vendors(w, tc.vendor_consents);
  w.Key("vendorLegitimateInterestsMaxVendorId");
  w.Int(tc.vendor_legitimate_interests.max_vendor_id);
  w.Key("vendorLegitimateInterests");
  Vendors(w, tc.vendor_legitimate_interests);
  w.Key("publisherRestrictions");
  w.BeginArray();
  for (const engine::PublisherRestriction& pr : tc.publisher_restrictions) {
    w.BeginObject();
    w.Key("purposeId");
    w.Int(pr.purpose_id);
    w.Key("restrictionType");
    w.Int(pr.type);
    w.Key("vendorIds");
    Vendors(w, pr.vendors);
    w.EndObject();
  }
  w.EndArray();
  // TCF 2.3: whether this string must carry DisclosedVendors (policy version 5, or created on or
  // after 2026-02-28); without the segment such a string discloses no vendor.
  w.Key("requiresDisclosedVendors");
  w.Bool(tc.RequiresDisclosedVendors());
  w.Key("segments");
  w.BeginArray();
  w.String("core");
  if (tc.disclosed_vendors) w.String("disclosedVendors");
  if (tc.allowed_vendors) w.String("allowedVendors");
  if (tc.publisher_tc) w.String("publisherTC");
  w.EndArray();
  if (tc.disclosed_vendors) {
    w.Key("disclosedVendors");
    Vendors(w, *tc.disclosed_vendors);
  }
  if (tc.allowed_vendors) {
    w.Key("allowedVendors");
    Vendors(w, *tc.allowed_vendors);
  }
  if (tc.publisher_tc) {
    const engine::TcfString::PublisherTc& p = *tc.publisher_tc;
    w.Key("publisherTC");
    w.BeginObject();
    w.Key("purposeConsents");
    Ids(w, p.purpose_consents, 24);
    w.Key("purposeLegitimateInterests");
    Ids(w, p.purpose_legitimate_interests, 24);
    w.Key("numCustomPurposes");
    w.Int(p.num_custom_purposes);
    // Custom purpose i is the i-th bit from the left of its field.
    auto custom = [&](uint64_t bits) {
      w.BeginArray();
      for (int i = 0; i < p.num_custom_purposes; ++i) {
        if ((bits >> (p.num_custom_purposes - 1 - i)) & 1) w.Int(i + 1);
      }
      w.EndArray();
    };
    w.Key("customPurposeConsents");
    custom(p.custom_purpose_consents);
    w.Key("customPurposeLegitimateInterests");
    custom(p.custom_purpose_legitimate_interests);
    w.EndObject();
  }
}

void WriteUsPrivacy(JsonWriter& w, const engine::UsPrivacy& usp) {
  w.Key("version");
  w.Int(usp.version);
  w.Key("notice");
  w.String(std::string(1, usp.notice));
  w.Key("optOutSale");
  w.String(std::string(1, usp.opt_out_sale));
  w.Key("lspaCovered");
  w.String(std::string(1, usp.lspa_covered));
  w.Key("ccpaApplies");
  w.Bool(usp.Applies());
  w.Key("userOptedOutOfSale");
  w.Bool(usp.OptedOutOfSale());
}

void Codes(JsonWriter& w, const std::vector<int>& codes) {
  w.BeginArray();
  for (int c : codes) w.Int(c);
  w.EndArray();
}

void WriteUsNat(JsonWriter& w, const engine::UsNat& n) {
  const std::pair<const char*, int> fields[] = {
      {"version", n.version},
      {"sharingNotice", n.sharing_notice},
      {"saleOptOutNotice", n.sale_opt_out_notice},
      {"sharingOptOutNotice", n.sharing_opt_out_notice},
      {"targetedAdvertisingOptOutNotice", n.targeted_advertising_opt_out_notice},
      {"sensitiveDataProcessingOptOutNotice", n.sensitive_data_processing_opt_out_notice},
      {"sensitiveDataLimitUseNotice", n.sensitive_data_limit_use_notice},
      {"saleOptOut", n.sale_opt_out},
      {"sharingOptOut", n.sharing_opt_out},
      {"targetedAdvertisingOptOut", n.targeted_advertising_opt_out},
      {"personalDataConsents", n.personal_data_consents},
      {"mspaCoveredTransaction", n.mspa_covered_transaction},
      {"mspaOptOutOptionMode", n.mspa_opt_out_option_mode},
      {"mspaServiceProviderMode", n.mspa_service_provider_mode},
  };
  for (const auto& [name, value] : fields) {
    w.Key(name);
    w.Int(value);
  }
  w.Key("sensitiveDataProcessing");
  Codes(w, n.sensitive_data_processing);
  w.Key("knownChildSensitiveDataConsents");
  Codes(w, n.known_child_sensitive_data_consents);
  // An absent GPC subsection reads as false, as the IAB libraries report it.
  w.Key("gpc");
  w.Bool(n.gpc.value_or(false));
}

// A US state section: its fields by name, the GPC subsection when it has one, and what it means
// once normalised to usnat's terms (the decision the privacy rules take from it).
void WriteUsState(JsonWriter& w, const engine::UsState& state) {
  for (const engine::UsStateField& field : state.fields) {
    w.Key(field.name);
    if (field.list) {
      Codes(w, field.values);
    } else {
      w.Int(field.values.front());
    }
  }
  if (state.gpc) {
    w.Key("gpc");
    w.Bool(*state.gpc);
  }
  w.Key("normalised");
  w.BeginObject();
  w.Key("saleOptOut");
  w.Int(state.sale_opt_out);
  w.Key("targetedAdvertisingOptOut");
  w.Int(state.targeted_advertising_opt_out);
  w.Key("gpc");
  w.Bool(state.gpc.value_or(false));
  w.Key("knownChild");
  w.Bool(state.KnownChild());
  w.Key("optedOut");
  w.Bool(state.OptedOut());
  w.EndObject();
}

std::string_view SectionName(int id) {
  switch (id) {
    case 2:
      return "tcfeuv2";
    case 5:
      return "tcfcav1";
    case 6:
      return "uspv1";
    case 7:
      return "usnat";
    case 8:
      return "usca";
    default:
      return engine::UsStateSectionName(id);
  }
}

// One decoded string as a JSON object, its fields written by `write`.
template <typename Decoded>
std::string ObjectJson(void (*write)(JsonWriter&, const Decoded&), const Decoded& decoded) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  write(w, decoded);
  w.EndObject();
  return out;
}

}  // namespace

std::string TcfJson(const engine::TcfString& tc) { return ObjectJson(WriteTcf, tc); }

std::string UsPrivacyJson(const engine::UsPrivacy& usp) { return ObjectJson(WriteUsPrivacy, usp); }

std::string UsNatJson(const engine::UsNat& usnat) { return ObjectJson(WriteUsNat, usnat); }

std::string GppJson(const engine::GppString& gpp) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("header");
  w.BeginObject();
  w.Key("type");
  w.Int(gpp.type);
  w.Key("version");
  w.Int(gpp.version);
  w.Key("sectionIds");
  Codes(w, gpp.section_ids);
  w.EndObject();
  w.Key("sections");
  w.BeginObject();
  for (const auto& [id, raw] : gpp.sections) {
    std::string name(SectionName(id));
    if (name.empty()) name = "section" + std::to_string(id);
    w.Key(name);
    w.BeginObject();
    w.Key("raw");
    w.String(raw);
    if (id == engine::kGppTcfEuV2 && gpp.tcfeuv2) WriteTcf(w, *gpp.tcfeuv2);
    if (id == engine::kGppUspV1 && gpp.uspv1) WriteUsPrivacy(w, *gpp.uspv1);
    if (id == engine::kGppUsNat && gpp.usnat) WriteUsNat(w, *gpp.usnat);
    if (const auto state = gpp.us_states.find(id); state != gpp.us_states.end()) {
      WriteUsState(w, state->second);
    }
    if (id == engine::kGppUsCa && gpp.usca) {
      w.Key("saleOptOut");
      w.Int(gpp.usca->sale_opt_out);
      w.Key("sharingOptOut");
      w.Int(gpp.usca->sharing_opt_out);
    }
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return out;
}

}  // namespace vetrina::privacy
