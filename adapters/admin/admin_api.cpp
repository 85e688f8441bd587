#include "adapters/admin/admin_api.h"

#include <simdjson.h>

#include <charconv>
#include <optional>

#include "adapters/audiences/members_upload.h"
#include "adapters/campaigns/audience_json.h"
#include "adapters/campaigns/campaign_json.h"
#include "adapters/service/bid_handler.h"
#include "base/ids.h"
#include "base/json_writer.h"
#include "base/log.h"
#include "base/strings.h"
#include "engine/auction/auction.h"
#include "engine/privacy/privacy.h"

namespace vetrina::admin {
namespace {

constexpr std::string_view kCampaignsPrefix = "/v1/campaigns/";
constexpr std::string_view kAudiencesPrefix = "/v1/audiences/";
constexpr std::string_view kMembersSuffix = "/members";
constexpr std::string_view kStatsSuffix = "/stats";
constexpr std::string_view kAdvertisersPrefix = "/v1/advertisers/";
constexpr std::string_view kBlocklistSuffix = "/app_blocklist";
constexpr std::string_view kAppsPrefix = "/v1/apps/";
constexpr std::string_view kAppAdsTxtSuffix = "/app-ads.txt";
constexpr std::string_view kExchangesPrefix = "/v1/exchanges/";
constexpr std::string_view kSellersJsonSuffix = "/sellers.json";

// The {key} of PREFIX{key}SUFFIX, or nullopt when `path` is not of that form.
std::optional<std::string_view> PathKey(std::string_view path, std::string_view prefix,
                                        std::string_view suffix) {
  if (path.size() <= prefix.size() + suffix.size() || !path.starts_with(prefix) ||
      !path.ends_with(suffix)) {
    return std::nullopt;
  }
  return path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
}

void WriteAudience(const engine::Audience& a, JsonWriter& w) {
  w.BeginObject();
  w.Key("id");
  w.String(a.id);
  w.Key("advertiser");
  w.String(a.advertiser);
  w.Key("name");
  w.String(a.name);
  w.Key("kind");
  w.String(a.kind == engine::AudienceKind::kPixel ? "pixel" : "custom");
  w.Key("ttl_days");
  w.Int(a.ttl_days);
  w.Key("segment");
  w.Int(a.segment);
  w.EndObject();
}

// Answers a membership upload that may not proceed, without reading its body.
class RefusedUpload final : public http::BodyStream {
 public:
  RefusedUpload(int status, std::string message) : status_(status), message_(std::move(message)) {}
  bool Append(std::string_view) override { return false; }
  void Finish(http::HttpResponse* response) override {
    http::SetError(status_, message_, response);
  }

 private:
  int status_;
  std::string message_;
};

int HttpStatusFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 413;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return 503;
    default:
      return 500;
  }
}

// 400 with every problem: {"error": "...", "problems": ["/creatives/0/w: must be >= 1", ...]}.
void SetProblems(std::string_view error, const std::vector<std::string>& problems,
                 http::HttpResponse* response) {
  response->status = 400;
  response->body.clear();
  JsonWriter w(&response->body);
  w.BeginObject();
  w.Key("error");
  w.String(error);
  w.Key("problems");
  w.BeginArray();
  for (const std::string& p : problems) w.String(p);
  w.EndArray();
  w.EndObject();
}

void SetJsonBody(int status, std::string body, http::HttpResponse* response) {
  response->status = status;
  response->content_type = "application/json";
  response->body = std::move(body);
}

// Parses one campaign; on failure appends its problems, each prefixed by `pointer_prefix`.
std::optional<CampaignEntry> ParseEntry(std::string json, const std::string& pointer_prefix,
                                        std::vector<std::string>* problems) {
  std::vector<campaigns::Problem> found;
  absl::StatusOr<engine::Campaign> campaign = campaigns::ParseCampaign(json, &found);
  if (!campaign.ok()) {
    for (const campaigns::Problem& p : found) {
      problems->push_back(StrCat(pointer_prefix, p.pointer, ": ", p.message));
    }
    return std::nullopt;
  }
  return CampaignEntry{std::make_shared<const engine::Campaign>(*std::move(campaign)),
                       std::move(json)};
}

bool IsDryRun(const http::HttpRequest& request) {
  const std::string_view v = QueryParam(request.query, "dry_run");
  return v == "1" || v == "true";
}

}  // namespace

void SetStatusError(const absl::Status& s, http::HttpResponse* response) {
  http::SetError(HttpStatusFor(s), View(s.message()), response);
  // The shared store (Redis) is down or slow: the change was not acknowledged (it may still
  // have been stored, and then reaches every node as it follows), and the same request may be
  // sent again shortly.
  if (response->status == 503) response->headers.emplace_back("Retry-After", "1");
}

std::string_view QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

AdminApi::AdminApi(Catalog& catalog, service::Bidder& bidder, money::MarketStore* market)
    : catalog_(catalog),
      bidder_(bidder),
      market_(market),
      reader_(bidder.epoch()),
      parser_(bidder.options().max_body_bytes),
      // Explain draws nothing and issues no ids, so the worker index is immaterial.
      pipeline_(bidder.pipeline_config(), bidder.clock(), /*worker=*/0) {}

void AdminApi::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  if (!Serve(request, response)) http::SetError(404, "not found", response);
}

bool AdminApi::Serve(const http::HttpRequest& request, http::HttpResponse* response) {
  const std::string_view path = request.path;
  if (path.substr(0, 4) != "/v1/") return false;

  const std::optional<Principal> who = catalog_.Authenticate(request.authorization);
  if (!who) {
    http::SetError(401, "missing or invalid bearer token", response);
    response->headers.emplace_back("WWW-Authenticate", "Bearer");
    return true;
  }
  // Every change is audited, also a refused one; reads, dry runs and explain are not changes.
  const http::Method m = request.method;
  const bool change =
      (m == http::Method::kPut || m == http::Method::kPost || m == http::Method::kDelete) &&
      path != "/v1/debug/explain" && !IsDryRun(request);
  if (!change) {
    Route(*who, request, response);
    return true;
  }
  const uint64_t version_before = catalog_.version();
  audit_ids_.clear();
  Route(*who, request, response);
  WriteAudit(*who, request, *response, version_before, catalog_.version());
  return true;
}

void AdminApi::Route(const Principal& who, const http::HttpRequest& request,
                     http::HttpResponse* response) {
  const std::string_view path = request.path;
  auto method_not_allowed = [&](std::string_view allow) {
    http::SetError(405, "method not allowed", response);
    response->headers.emplace_back("Allow", std::string(allow));
  };
  const http::Method m = request.method;

  if (path == "/v1/advertisers") {
    if (m != http::Method::kPost) return method_not_allowed("POST");
    CreateAdvertiser(who, request, response);
  } else if (path == "/v1/campaigns") {
    if (m != http::Method::kGet) return method_not_allowed("GET");
    ListCampaigns(who, request, response);
  } else if (path == "/v1/campaigns:batch") {
    if (m != http::Method::kPost) return method_not_allowed("POST");
    Batch(who, request, response);
  } else if (path == "/v1/debug/explain") {
    if (m != http::Method::kPost) return method_not_allowed("POST");
    Explain(who, request, response);
  } else if (path == "/v1/audiences") {
    if (m != http::Method::kGet) return method_not_allowed("GET");
    ListAudiences(who, response);
  } else if (path == "/v1/currencies" || path == "/v1/floors" ||
             path == "/v1/apps/child_directed" ||
             (path.substr(0, kAdvertisersPrefix.size()) == kAdvertisersPrefix &&
              path.size() > kAdvertisersPrefix.size() + kBlocklistSuffix.size() &&
              path.substr(path.size() - kBlocklistSuffix.size()) == kBlocklistSuffix)) {
    if (m != http::Method::kGet && m != http::Method::kPut) {
      return method_not_allowed("GET, PUT");
    }
    MarketSetting(who, path, request, response);
  } else if (PathKey(path, kAppsPrefix, kAppAdsTxtSuffix) ||
             PathKey(path, kExchangesPrefix, kSellersJsonSuffix)) {
    if (m != http::Method::kGet && m != http::Method::kPut) {
      return method_not_allowed("GET, PUT");
    }
    SellersFile(who, path, request, response);
  } else if (path.substr(0, kAudiencesPrefix.size()) == kAudiencesPrefix) {
    std::string id(path.substr(kAudiencesPrefix.size()));
    if (id.size() > kMembersSuffix.size() &&
        id.compare(id.size() - kMembersSuffix.size(), kMembersSuffix.size(), kMembersSuffix) == 0) {
      // Membership uploads with a body are streamed (OpenStream); an empty one lands here.
      http::SetError(400, "send the ids in the body, one per line", response);
      return;
    }
    if (!IsValidId(id)) {
      http::SetError(400, "audience id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", response);
      return;
    }
    switch (m) {
      case http::Method::kPut:
        PutAudience(who, id, request, response);
        break;
      case http::Method::kGet:
        GetAudience(who, id, response);
        break;
      default:
        method_not_allowed("GET, PUT");
    }
  } else if (path.substr(0, kCampaignsPrefix.size()) == kCampaignsPrefix &&
             path.size() > kCampaignsPrefix.size() + kStatsSuffix.size() &&
             path.substr(path.size() - kStatsSuffix.size()) == kStatsSuffix) {
    const std::string id(path.substr(kCampaignsPrefix.size(),
                                     path.size() - kCampaignsPrefix.size() - kStatsSuffix.size()));
    if (!IsValidId(id)) {
      http::SetError(400, "campaign id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", response);
      return;
    }
    if (m != http::Method::kGet) return method_not_allowed("GET");
    CampaignStats(who, id, response);
  } else if (path.substr(0, kCampaignsPrefix.size()) == kCampaignsPrefix) {
    const std::string id(path.substr(kCampaignsPrefix.size()));
    if (!IsValidId(id)) {
      http::SetError(400, "campaign id must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", response);
      return;
    }
    switch (m) {
      case http::Method::kPut:
        PutCampaign(who, id, request, response);
        break;
      case http::Method::kGet:
        GetCampaign(who, id, response);
        break;
      case http::Method::kDelete:
        DeleteCampaign(who, id, response);
        break;
      default:
        method_not_allowed("GET, PUT, DELETE");
    }
  } else {
    http::SetError(404, "not found", response);
  }
}

void AdminApi::WriteAudit(const Principal& who, const http::HttpRequest& request,
                          const http::HttpResponse& response, uint64_t version_before,
                          uint64_t version_after) {
  const std::string_view path = request.path;
  std::string_view kind = "other";
  std::string id;
  auto ends_with = [path](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (path == "/v1/advertisers") {
    kind = "advertiser";
  } else if (path == "/v1/campaigns:batch") {
    kind = "campaign";
  } else if (path == "/v1/currencies") {
    kind = "currencies";
  } else if (path == "/v1/floors") {
    kind = "floors";
  } else if (path == "/v1/apps/child_directed") {
    kind = "child_directed_apps";
  } else if (std::optional<std::string_view> app = PathKey(path, kAppsPrefix, kAppAdsTxtSuffix)) {
    kind = "app_ads_txt";
    id = *app;
  } else if (std::optional<std::string_view> exchange =
                 PathKey(path, kExchangesPrefix, kSellersJsonSuffix)) {
    kind = "sellers_json";
    id = *exchange;
  } else if (path.substr(0, kAdvertisersPrefix.size()) == kAdvertisersPrefix &&
             ends_with(kBlocklistSuffix)) {
    kind = "app_blocklist";
    id = path.substr(kAdvertisersPrefix.size(),
                     path.size() - kAdvertisersPrefix.size() - kBlocklistSuffix.size());
  } else if (path.substr(0, kCampaignsPrefix.size()) == kCampaignsPrefix) {
    kind = "campaign";
    id = path.substr(kCampaignsPrefix.size());
  } else if (path.substr(0, kAudiencesPrefix.size()) == kAudiencesPrefix) {
    kind = "audience";
    id = path.substr(kAudiencesPrefix.size());
  }
  // A sub-resource: the id is its owner's.
  if (id.size() > kMembersSuffix.size() && id.ends_with(kMembersSuffix)) {
    kind = "audience_members";
    id.resize(id.size() - kMembersSuffix.size());
  } else if (id.size() > kStatsSuffix.size() && id.ends_with(kStatsSuffix)) {
    kind = "campaign_stats";
    id.resize(id.size() - kStatsSuffix.size());
  }
  const int status = response.status;
  std::string_view action = "update";
  if (status >= 400) {
    action = "refused";
  } else if (request.method == http::Method::kDelete) {
    action = "delete";
  } else if (status == 201) {
    action = "create";
  }
  LogLine line = LogInfo("audit");
  line.Str("who", who.admin ? std::string_view("admin") : std::string_view(who.advertiser))
      .Str("action", action)
      .Str("method", service::MethodName(request.method))
      .Str("kind", kind);
  if (!id.empty()) {
    line.Str("id", id);
  } else if (audit_ids_.size() == 1) {
    line.Str("id", audit_ids_[0]);
  } else if (!audit_ids_.empty()) {
    // A batch: its ids, up to a bound that keeps the line short.
    constexpr size_t kMaxIds = 100;
    std::string ids;
    JsonWriter w(&ids);
    w.BeginArray();
    for (size_t i = 0; i < audit_ids_.size() && i < kMaxIds; ++i) w.String(audit_ids_[i]);
    w.EndArray();
    line.Json("ids", ids).Int("count", static_cast<int64_t>(audit_ids_.size()));
  }
  line.Int("status", status)
      .Int("version_before", static_cast<int64_t>(version_before))
      .Int("version_after", static_cast<int64_t>(version_after));
}

void AdminApi::CreateAdvertiser(const Principal& who, const http::HttpRequest& request,
                                http::HttpResponse* response) {
  if (!who.admin) return http::SetError(403, "only the admin token creates advertisers", response);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view id;
  if (parser.parse(request.body.data(), request.body.size()).get(doc) || doc["id"].get(id)) {
    return http::SetError(400, "body must be {\"id\": \"<advertiser id>\"}", response);
  }
  audit_ids_.emplace_back(id);
  absl::StatusOr<std::string> token = catalog_.CreateAdvertiser(std::string(id));
  if (!token.ok()) return SetStatusError(token.status(), response);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("id");
  w.String(id);
  w.Key("token");
  w.String(*token);
  w.EndObject();
  SetJsonBody(201, std::move(body), response);
}

void AdminApi::PutCampaign(const Principal& who, const std::string& id,
                           const http::HttpRequest& request, http::HttpResponse* response) {
  std::vector<std::string> problems;
  std::optional<CampaignEntry> entry = ParseEntry(std::string(request.body), "", &problems);
  if (!entry) return SetProblems("invalid campaign", problems, response);
  if (entry->campaign->id != id) {
    return SetProblems("invalid campaign", {StrCat("/id: must equal the id in the URL (", id, ")")},
                       response);
  }
  CheckAudiences(*entry->campaign, "", &problems);
  if (!problems.empty()) return SetProblems("invalid campaign", problems, response);
  std::vector<CampaignEntry> entries{*std::move(entry)};
  if (IsDryRun(request)) {
    if (absl::Status s = catalog_.CheckPut(who, entries); !s.ok()) {
      return SetStatusError(s, response);
    }
    return SetJsonBody(200, StrCat("{\"id\":\"", id, "\",\"valid\":true,\"dry_run\":true}"),
                       response);
  }
  size_t created = 0;
  if (absl::Status s = catalog_.PutCampaigns(who, std::move(entries), &created); !s.ok()) {
    return SetStatusError(s, response);
  }
  SetJsonBody(created ? 201 : 200,
              StrCat("{\"id\":\"", id, "\",\"stored\":true,\"version\":", catalog_.version(), "}"),
              response);
}

void AdminApi::GetCampaign(const Principal& who, const std::string& id,
                           http::HttpResponse* response) {
  std::optional<CampaignEntry> entry = catalog_.GetCampaign(who, id);
  if (!entry) return http::SetError(404, StrCat("campaign ", id, " not found"), response);
  SetJsonBody(200, entry->json, response);
}

void AdminApi::ListCampaigns(const Principal& who, const http::HttpRequest& request,
                             http::HttpResponse* response) {
  size_t limit = kDefaultListLimit;
  if (std::string_view text = QueryParam(request.query, "limit"); !text.empty()) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit == 0 ||
        limit > kMaxListLimit) {
      return http::SetError(400, StrCat("limit must be within [1, ", kMaxListLimit, "]"), response);
    }
  }
  const std::string after(QueryParam(request.query, "after"));
  const std::vector<CampaignEntry> entries = catalog_.ListCampaigns(who, after, limit);
  std::string body = "{\"campaigns\":[";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) body.push_back(',');
    body.append(entries[i].json);
  }
  body.append("]");
  if (entries.size() == limit) {
    body.append(",\"next_after\":\"");
    AppendJsonEscaped(entries.back().campaign->id, &body);
    body.append("\"");
  }
  body.append("}");
  SetJsonBody(200, std::move(body), response);
}

void AdminApi::DeleteCampaign(const Principal& who, const std::string& id,
                              http::HttpResponse* response) {
  if (absl::Status s = catalog_.DeleteCampaign(who, id); !s.ok()) {
    return SetStatusError(s, response);
  }
  SetJsonBody(200, StrCat("{\"id\":\"", id, "\",\"deleted\":true}"), response);
}

void AdminApi::Batch(const Principal& who, const http::HttpRequest& request,
                     http::HttpResponse* response) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array array;
  if (parser.parse(request.body.data(), request.body.size()).get(doc) || doc.get(array)) {
    return SetProblems("invalid batch", {": must be a JSON array of campaigns"}, response);
  }
  if (array.size() > kMaxBatch) {
    return SetProblems("invalid batch", {StrCat(": at most ", kMaxBatch, " campaigns")}, response);
  }
  std::vector<std::string> problems;
  std::vector<CampaignEntry> entries;
  std::vector<std::string> ids;
  size_t index = 0;
  for (simdjson::dom::element element : array) {
    std::optional<CampaignEntry> entry =
        ParseEntry(simdjson::minify(element), StrCat("/", index), &problems);
    if (entry) {
      CheckAudiences(*entry->campaign, StrCat("/", index), &problems);
      ids.push_back(entry->campaign->id);
      entries.push_back(*std::move(entry));
    }
    ++index;
  }
  std::sort(ids.begin(), ids.end());
  audit_ids_ = ids;
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) {
    problems.push_back(": campaign ids must be unique within a batch");
  }
  if (!problems.empty())
    return SetProblems("invalid batch; nothing was applied", problems, response);
  if (IsDryRun(request)) {
    if (absl::Status s = catalog_.CheckPut(who, entries); !s.ok()) {
      return SetStatusError(s, response);
    }
    return SetJsonBody(200, StrCat("{\"valid\":", entries.size(), ",\"dry_run\":true}"), response);
  }
  size_t created = 0;
  const size_t count = entries.size();
  if (absl::Status s = catalog_.PutCampaigns(who, std::move(entries), &created); !s.ok()) {
    return SetStatusError(s, response);
  }
  SetJsonBody(200,
              StrCat("{\"stored\":", count, ",\"created\":", created,
                     ",\"version\":", catalog_.version(), "}"),
              response);
}

void AdminApi::CheckAudiences(const engine::Campaign& campaign, const std::string& prefix,
                              std::vector<std::string>* problems) const {
  const engine::AudienceRule& rule = campaign.targeting.audiences;
  for (const auto& [list_name, list] :
       {std::pair{"any_of", &rule.any_of}, std::pair{"all_of", &rule.all_of},
        std::pair{"exclude", &rule.exclude}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      if (!catalog_.AudienceExists((*list)[i])) {
        problems->push_back(StrCat(prefix, "/targeting/audiences/", list_name, "/", i,
                                   ": no such audience of advertiser ", campaign.advertiser));
      }
    }
  }
}

void AdminApi::PutAudience(const Principal& who, const std::string& id,
                           const http::HttpRequest& request, http::HttpResponse* response) {
  if (who.admin) {
    return http::SetError(403, "audiences belong to advertisers: use their token", response);
  }
  std::vector<campaigns::Problem> found;
  absl::StatusOr<engine::Audience> audience =
      campaigns::ParseAudience(request.body, id, who.advertiser, &found);
  if (!audience.ok()) {
    std::vector<std::string> problems;
    for (const campaigns::Problem& p : found)
      problems.push_back(StrCat(p.pointer, ": ", p.message));
    return SetProblems("invalid audience", problems, response);
  }
  const bool existed = catalog_.GetAudience(who, id).has_value();
  absl::StatusOr<engine::Audience> stored =
      catalog_.PutAudience(who, *std::move(audience), std::string(request.body));
  if (!stored.ok()) return SetStatusError(stored.status(), response);
  std::string body;
  JsonWriter w(&body);
  WriteAudience(*stored, w);
  SetJsonBody(existed ? 200 : 201, std::move(body), response);
}

void AdminApi::GetAudience(const Principal& who, const std::string& id,
                           http::HttpResponse* response) {
  std::optional<engine::Audience> audience = catalog_.GetAudience(who, id);
  if (!audience) return http::SetError(404, StrCat("audience ", id, " not found"), response);
  std::string body;
  JsonWriter w(&body);
  WriteAudience(*audience, w);
  SetJsonBody(200, std::move(body), response);
}

void AdminApi::ListAudiences(const Principal& who, http::HttpResponse* response) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("audiences");
  w.BeginArray();
  for (const engine::Audience& a : catalog_.ListAudiences(who)) WriteAudience(a, w);
  w.EndArray();
  w.EndObject();
  SetJsonBody(200, std::move(body), response);
}

std::unique_ptr<http::BodyStream> AdminApi::OpenStream(const http::HttpRequest& head) {
  const std::string_view path = head.path;
  if (path.substr(0, kAudiencesPrefix.size()) != kAudiencesPrefix ||
      path.size() <= kMembersSuffix.size() ||
      path.substr(path.size() - kMembersSuffix.size()) != kMembersSuffix) {
    return nullptr;
  }
  const std::optional<Principal> who = catalog_.Authenticate(head.authorization);
  if (!who) return std::make_unique<RefusedUpload>(401, "missing or invalid bearer token");
  if (head.method != http::Method::kPost && head.method != http::Method::kDelete) {
    return std::make_unique<RefusedUpload>(405, "use POST to add members, DELETE to remove");
  }
  const std::string id(path.substr(kAudiencesPrefix.size(),
                                   path.size() - kAudiencesPrefix.size() - kMembersSuffix.size()));
  std::optional<engine::Audience> audience =
      IsValidId(id) ? catalog_.GetAudience(*who, id) : std::nullopt;
  if (!audience) return std::make_unique<RefusedUpload>(404, "audience not found");
  audiences::MembershipWriter* writer = bidder_.membership_writer();
  if (writer == nullptr) return std::make_unique<RefusedUpload>(503, "audiences are not enabled");
  const engine::Day expires = engine::AudienceDay(bidder_.clock().Now()) + audience->ttl_days;
  return std::make_unique<audiences::MembersUpload>(*writer, audience->segment, expires,
                                                    head.method == http::Method::kDelete);
}

void AdminApi::CampaignStats(const Principal& who, const std::string& id,
                             http::HttpResponse* response) {
  std::optional<CampaignEntry> entry = catalog_.GetCampaign(who, id);
  if (!entry) return http::SetError(404, "no such campaign", response);
  const engine::Campaign& c = *entry->campaign;
  const absl::Time now = bidder_.clock().Now();
  // A read creates nothing: a campaign that never bid has no account, and reads as untouched.
  engine::AccountState state{.day = engine::DayOf(now)};
  uint64_t bids = 0, wins = 0, impressions = 0, clicks = 0;
  engine::LeaseState account_lease;
  if (const engine::CampaignAccount* account = bidder_.money().ledger.FindAccount(c.id)) {
    state = account->State(now);
    account_lease = account->Lease();
    bids = account->bids.load();
    wins = account->wins.load();
    impressions = account->impressions.load();
    clicks = account->clicks.load();
  }
  auto ratio = [](uint64_t a, uint64_t b) {
    return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
  };
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("id");
  w.String(c.id);
  w.Key("bids");
  w.Int(static_cast<int64_t>(bids));
  w.Key("wins");
  w.Int(static_cast<int64_t>(wins));
  w.Key("impressions");
  w.Int(static_cast<int64_t>(impressions));
  w.Key("clicks");
  w.Int(static_cast<int64_t>(clicks));
  // Money as decimal currency units and as exact integer micros.
  auto money_field = [&](std::string_view name, engine::Micros micros) {
    w.Key(name);
    w.Price(micros);
    w.Key(StrCat(name, "_micros"));
    w.Int(micros);
  };
  money_field("spend_today", state.daily_settled);
  money_field("spend_lifetime", state.lifetime_settled);
  money_field("reserved_today", state.daily_reserved);
  money_field("reserved_lifetime", state.lifetime_reserved);
  if (c.daily_budget > 0) {
    money_field("budget_daily", c.daily_budget);
    money_field(
        "budget_left_today",
        std::max<engine::Micros>(0, c.daily_budget - state.daily_settled - state.daily_reserved));
  }
  if (c.lifetime_budget > 0) {
    money_field("budget_lifetime", c.lifetime_budget);
    money_field("budget_left_lifetime",
                std::max<engine::Micros>(
                    0, c.lifetime_budget - state.lifetime_settled - state.lifetime_reserved));
  }
  w.Key("pacing");
  w.BeginObject();
  w.Key("mode");
  w.String(c.pacing == engine::Pacing::kAsap || c.daily_budget == 0 ? "asap" : "even");
  w.Key("rate");
  w.Double(state.pacing_rate);
  if (c.daily_budget > 0) {
    money_field("planned_spend_today", engine::PacingController::Planned(
                                           now, engine::StartOfDay(state.day), c.daily_budget));
  }
  w.EndObject();
  if (const money::LeaseKeeper* keeper = bidder_.lease_keeper()) {
    // The campaign's account in Redis, as this node last renewed its lease.
    if (std::optional<money::LeaseKeeper::AccountView> view = keeper->View(c.id)) {
      w.Key("fleet");
      w.BeginObject();
      money_field("settled_lifetime", view->settled_lifetime);
      money_field("settled_today", view->settled_today);
      money_field("leased", view->leased);
      w.Key("leases");
      w.Int(view->leases);
      money_field("this_node_lease", account_lease.outstanding);
      money_field("this_node_lease_reserved", account_lease.reserved);
      w.Key("this_node_bids_until");
      w.String(absl::FormatTime(absl::RFC3339_sec, account_lease.bid_until, absl::UTCTimeZone()));
      w.EndObject();
    }
  }
  w.Key("win_rate");
  w.Double(ratio(wins, bids));
  w.Key("ctr");
  w.Double(ratio(clicks, impressions));
  // Effective CPM: lifetime spend per thousand impressions.
  w.Key("ecpm");
  w.Double(impressions == 0 ? 0.0
                            : engine::UnitsFromMicros(state.lifetime_settled) * 1000.0 /
                                  static_cast<double>(impressions));
  w.EndObject();
  SetJsonBody(200, std::move(body), response);
}

void AdminApi::SellersFile(const Principal& who, std::string_view path,
                           const http::HttpRequest& request, http::HttpResponse* response) {
  if (market_ == nullptr) return http::SetError(404, "not found", response);
  const bool put = request.method == http::Method::kPut;
  if (put && !who.admin) return http::SetError(403, "only the admin token sets these", response);
  const std::optional<std::string_view> app = PathKey(path, kAppsPrefix, kAppAdsTxtSuffix);
  if (put) {
    sellers::UploadReport report;
    const absl::Status status =
        app ? market_->PutAppAdsTxt(*app, request.body, &report)
            : market_->PutSellersJson(*PathKey(path, kExchangesPrefix, kSellersJsonSuffix),
                                      request.body, &report);
    if (!status.ok()) return SetStatusError(status, response);
  }
  absl::StatusOr<std::string> body =
      app ? market_->AppAdsTxtJson(*app)
          : market_->SellersJsonSummary(*PathKey(path, kExchangesPrefix, kSellersJsonSuffix));
  if (!body.ok()) return SetStatusError(body.status(), response);
  SetJsonBody(200, *std::move(body), response);
}

void AdminApi::MarketSetting(const Principal& who, std::string_view path,
                             const http::HttpRequest& request, http::HttpResponse* response) {
  if (market_ == nullptr) return http::SetError(404, "not found", response);
  const bool put = request.method == http::Method::kPut;
  absl::Status status;
  std::string body;
  if (path == "/v1/currencies" || path == "/v1/floors" || path == "/v1/apps/child_directed") {
    if (put && !who.admin) {
      return http::SetError(403, "only the admin token sets these", response);
    }
    if (path == "/v1/currencies") {
      if (put) status = market_->PutCurrencies(request.body);
      body = market_->CurrenciesJson();
    } else if (path == "/v1/floors") {
      if (put) status = market_->PutFloors(request.body);
      body = market_->FloorsJson();
    } else {
      if (put) status = market_->PutChildDirectedApps(request.body);
      body = market_->ChildDirectedAppsJson();
    }
  } else {
    const std::string advertiser(
        path.substr(kAdvertisersPrefix.size(),
                    path.size() - kAdvertisersPrefix.size() - kBlocklistSuffix.size()));
    if (!IsValidId(advertiser) || !catalog_.AdvertiserExists(advertiser) || !who.Owns(advertiser)) {
      return http::SetError(404, "no such advertiser", response);
    }
    if (put) status = market_->PutAppBlocklist(advertiser, request.body);
    body = market_->AppBlocklistJson(advertiser);
  }
  if (!status.ok()) return SetStatusError(status, response);
  SetJsonBody(200, std::move(body), response);
}

void AdminApi::Explain(const Principal& who, const http::HttpRequest& request,
                       http::HttpResponse* response) {
  engine::BidRequest bid_request;
  if (absl::Status s = parser_.Parse(request.body, &bid_request); !s.ok()) {
    return http::SetError(s.code() == absl::StatusCode::kResourceExhausted ? 413 : 400,
                          View(s.message()), response);
  }
  engine::EpochDomain::ReadGuard guard(reader_);
  // The bid's own steps, with a dry-run money policy: nothing reserved, counted or drawn.
  const engine::Explanation explanation = pipeline_.Explain(
      &bid_request, bidder_.World(guard),
      [&who](const engine::Campaign& c) { return who.Owns(c.advertiser); }, kMaxExplained);
  const engine::PrivacyDecision& privacy = explanation.privacy;
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("request_id");
  w.String(bid_request.id);
  // Which privacy rules restricted the request, and what they took away.
  w.Key("privacy");
  w.BeginObject();
  w.Key("rules");
  w.BeginArray();
  for (int r = 0; r < static_cast<int>(engine::PrivacyRule::kCount); ++r) {
    if (privacy.Has(static_cast<engine::PrivacyRule>(r))) {
      w.String(engine::PrivacyRuleName(static_cast<engine::PrivacyRule>(r)));
    }
  }
  w.EndArray();
  w.Key("audience_targeting");
  w.Bool(privacy.audiences_allowed);
  w.Key("ifa");
  w.Bool(privacy.ifa_allowed);
  w.Key("frequency_capping");
  w.String(!privacy.capping_allowed ? "off" : privacy.capping_ifv_only ? "ifv_only" : "on");
  w.Key("child_directed");
  w.Bool(privacy.child_directed);
  w.EndObject();
  w.Key("known_user");
  w.Bool(explanation.known_user);
  // Whether the supply chain is authorised, and else the first rule it breaks (engine/supply).
  w.Key("supply");
  w.BeginObject();
  w.Key("authorised");
  w.Bool(explanation.supply.authorised());
  if (!explanation.supply.authorised()) {
    w.Key("problem");
    w.String(engine::SupplyProblemName(explanation.supply.problem));
    w.Key("node");
    w.Int(static_cast<int64_t>(explanation.supply.node));
  }
  w.EndObject();
  w.Key("campaigns");
  w.BeginArray();
  for (const engine::CampaignExplanation& e : explanation.campaigns) {
    const engine::Campaign& campaign = *e.campaign;
    w.BeginObject();
    w.Key("id");
    w.String(campaign.id);
    w.Key("eligible");
    w.Bool(e.eligible());
    if (e.reason != engine::NoBidReason::kNone) {
      w.Key("reason");
      w.String(engine::NoBidReasonName(e.reason));
    } else {
      w.Key("imps");
      w.BeginArray();
      for (size_t i = 0; i < e.imp_reasons.size(); ++i) {
        w.BeginObject();
        w.Key("imp");
        w.String(bid_request.imps[i].id);
        w.Key("eligible");
        w.Bool(e.imp_reasons[i] == engine::NoBidReason::kNone);
        if (e.imp_reasons[i] != engine::NoBidReason::kNone) {
          w.Key("reason");
          w.String(engine::NoBidReasonName(e.imp_reasons[i]));
        }
        w.EndObject();
      }
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("truncated");
  w.Bool(explanation.truncated);
  w.EndObject();
  SetJsonBody(200, std::move(body), response);
}

}  // namespace vetrina::admin
