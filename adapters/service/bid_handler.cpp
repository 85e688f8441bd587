#include "adapters/service/bid_handler.h"

#include "adapters/audiences/pixel.h"
#include "adapters/openrtb/json_writer.h"
#include "adapters/openrtb/response_writer.h"
#include "engine/auction.h"
#include "engine/strings.h"

namespace vetrina::service {
namespace {

std::string Hex(uint64_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[n & 0xf]);
    n >>= 4;
  } while (n != 0);
  return out;
}

}  // namespace

void SetError(int status, std::string_view message, http::HttpResponse* response) {
  response->status = status;
  response->content_type = "application/json";
  response->body = "{\"error\":\"";
  openrtb::AppendJsonEscaped(message, &response->body);
  response->body.append("\"}");
}

BidHandler::BidHandler(Bidder& bidder, int worker)
    : bidder_(bidder),
      worker_(worker),
      reader_(bidder.epoch()),
      parser_(bidder.options().max_body_bytes),
      id_prefix_(StrCat(Hex(static_cast<uint64_t>(absl::ToUnixMicros(bidder.clock().Now()))), "-",
                        worker, "-")) {}

std::string BidHandler::NextResponseId() { return StrCat(id_prefix_, Hex(++sequence_)); }

void BidHandler::Handle(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.path == "/openrtb2/bid") {
    HandleBid(request, response);
    bidder_.metrics().CountRequest(Endpoint::kBid, response->status);
    return;
  }
  if (request.path == "/px") {
    HandlePixel(request, response);
    bidder_.metrics().CountRequest(Endpoint::kPixel, response->status);
    return;
  }
  SetError(404, "not found", response);
  bidder_.metrics().CountRequest(Endpoint::kOther, response->status);
}

bool BidHandler::LookUpSegments(const engine::EpochDomain::ReadGuard& guard) {
  const engine::AudienceStore* store = bidder_.audience_store();
  if (store == nullptr) return false;
  user_keys_.clear();
  auto add = [&](const std::string& id) {
    if (std::optional<engine::AudienceKey> key = engine::KeyForId(id)) user_keys_.push_back(*key);
  };
  add(bid_request_.device.ifa);  // an all-zero IFA is no key
  add(bid_request_.device.ifv);
  add(bid_request_.user.id);
  add(bid_request_.user.buyer_uid);
  for (const engine::Eid& eid : bid_request_.user.eids) {
    for (const std::string& id : eid.ids) add(id);
  }
  segment_names_.clear();
  if (user_keys_.empty()) return false;
  if (user_segments_.size() < user_keys_.size()) user_segments_.resize(user_keys_.size());
  store->LookupBatch(guard, user_keys_.data(), user_keys_.size(), audiences::Today(bidder_.clock()),
                     user_segments_.data());
  const engine::AudienceRegistry& registry = *bidder_.audience_registry().Get(guard).registry;
  for (size_t i = 0; i < user_keys_.size(); ++i) {
    for (engine::SegmentId s : user_segments_[i]) {
      if (const std::string* name = registry.Name(s)) segment_names_.push_back(*name);
    }
  }
  std::sort(segment_names_.begin(), segment_names_.end());
  segment_names_.erase(std::unique(segment_names_.begin(), segment_names_.end()),
                       segment_names_.end());
  return true;
}

void BidHandler::HandlePixel(const http::HttpRequest& request, http::HttpResponse* response) {
  // Always the GIF: a pixel never shows an error page; what went wrong is counted.
  response->status = 200;
  response->content_type = "image/gif";
  response->body.assign(audiences::PixelGif());
  response->headers.emplace_back("Cache-Control", "no-store");
  Metrics& metrics = bidder_.metrics();
  absl::StatusOr<audiences::PixelHit> hit = audiences::ParsePixelQuery(request.query);
  if (!hit.ok() || request.method != http::Method::kGet) {
    metrics.CountPixel(Metrics::PixelResult::kMalformed);
    return;
  }
  audiences::MembershipWriter* writer = bidder_.membership_writer();
  engine::EpochDomain::ReadGuard guard(reader_);
  const engine::AudienceRegistry& registry = *bidder_.audience_registry().Get(guard).registry;
  if (writer == nullptr || !registry.advertisers.contains(hit->event.advertiser)) {
    metrics.CountPixel(Metrics::PixelResult::kUnknownAdvertiser);
    return;
  }
  std::vector<engine::AudienceUpdate> updates =
      audiences::PixelUpdates(registry, *hit, audiences::Today(bidder_.clock()));
  if (!updates.empty() && !writer->TrySubmit(std::move(updates))) {
    metrics.CountPixel(Metrics::PixelResult::kDropped);
    return;
  }
  metrics.CountPixel(Metrics::PixelResult::kAccepted);
}

void BidHandler::HandleBid(const http::HttpRequest& request, http::HttpResponse* response) {
  if (request.method != http::Method::kPost) {
    SetError(405, "use POST", response);
    response->headers.emplace_back("Allow", "POST");
    return;
  }
  response->headers.emplace_back("x-openrtb-version", request.openrtb_version.empty()
                                                          ? "2.6"
                                                          : std::string(request.openrtb_version));

  if (absl::Status s = parser_.Parse(request.body, &bid_request_); !s.ok()) {
    SetError(s.code() == absl::StatusCode::kResourceExhausted ? 413 : 400, View(s.message()),
             response);
    return;
  }
  bid_request_.received_at = request.received_at;

  engine::EpochDomain::ReadGuard guard(reader_);
  const engine::CampaignSet& campaigns = bidder_.campaigns().Get(guard);
  const bool known_user = LookUpSegments(guard);
  const engine::AuctionResult result =
      engine::RunAuction(bid_request_, campaigns,
                         engine::AuctionContext{.now = bidder_.clock().Now(),
                                                .segments = known_user ? &segment_names_ : nullptr,
                                                .scratch = &scratch_});
  if (result.bids.empty()) {
    response->status = 204;
    bidder_.metrics().CountNoBid(result.RequestReason());
  } else {
    response->status = 200;
    openrtb::WriteBidResponse(bid_request_, result, NextResponseId(), bidder_.options().response,
                              &response->body);
    bidder_.metrics().CountBid(static_cast<int>(result.bids.size()));
  }
  bidder_.metrics().ObserveBidLatency(bidder_.clock().Now() - request.received_at);
}

}  // namespace vetrina::service
