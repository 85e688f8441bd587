// Who may sell an app's inventory, as the network's operators uploaded it (Vetrina crawls
// nothing): each app's app-ads.txt (IAB Tech Lab app-ads.txt 1.0, the ads.txt 1.1 format) and
// each advertising system's sellers.json (IAB Tech Lab sellers.json 1.0). engine/supply decides
// from these whether a request's SupplyChain is authorised.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace vetrina::engine {

// ads.txt 1.1 field #3.
enum class SellerRelationship : uint8_t {
  kDirect,    // the publisher controls the account itself
  kReseller,  // the publisher authorised another entity to control the account and resell
};

// One data record of an app-ads.txt: `domain, account id, DIRECT|RESELLER[, cert authority id]`.
struct AppAdsRecord {
  std::string ad_system_domain;  // lower-cased
  std::string seller_account_id;
  SellerRelationship relationship = SellerRelationship::kDirect;
  std::string certification_authority_id;  // empty when not given
};

struct AppAdsTxt {
  std::vector<AppAdsRecord> records;
  std::string owner_domain;                  // OWNERDOMAIN, lower-cased; empty when not given
  std::vector<std::string> manager_domains;  // MANAGERDOMAIN values, as written
};

// sellers.json `seller_type` (case-insensitive in the file).
enum class SellerType : uint8_t { kPublisher, kIntermediary, kBoth };

struct SellerEntry {
  std::string seller_id;
  SellerType type = SellerType::kPublisher;
  bool confidential = false;  // `is_confidential` = 1: name and domain may be absent
  std::string name;
  std::string domain;
};

// One advertising system's sellers.json: its sellers by `seller_id`.
struct SellersList {
  absl::flat_hash_map<std::string, SellerEntry> sellers;
};

struct AuthorisedSellers {
  // By the app's key: its bundle, else (a site) its domain, as Publication::app() gives it.
  // Shared, immutable: a new market snapshot copies pointers, not documents.
  absl::flat_hash_map<std::string, std::shared_ptr<const AppAdsTxt>> app_ads;
  // By the advertising system's domain (a SupplyChain node's `asi`), lower-cased.
  absl::flat_hash_map<std::string, std::shared_ptr<const SellersList>> sellers;
};

}  // namespace vetrina::engine
