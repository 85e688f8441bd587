#include "adapters/openrtb/request_parser.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "adapters/openrtb/json_reader.h"

namespace vetrina::openrtb {
namespace {

using engine::Micros;
using json::value;

absl::Status ReadPrice(value v, Micros* out) {
  double units = 0;
  VETRINA_RETURN_IF_ERROR(json::ReadDouble(v, &units));
  std::optional<Micros> micros = engine::MicrosFromUnits(units);
  if (!micros) return absl::InvalidArgumentError(": must be a non-negative price");
  *out = *micros;
  return absl::OkStatus();
}

absl::Status ParseFormat(value v, engine::Size* size) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "w") return json::ReadInt(f, &size->w);
    if (key == "h") return json::ReadInt(f, &size->h);
    return json::Skip(f);
  });
}

absl::Status ParseBanner(value v, engine::BannerSpec* banner) {
  engine::Size primary;
  std::vector<engine::Size> formats;
  VETRINA_RETURN_IF_ERROR(json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "w") return json::ReadInt(f, &primary.w);
    if (key == "h") return json::ReadInt(f, &primary.h);
    if (key == "battr") return json::ReadIntArray(f, &banner->battr);
    if (key == "format") {
      return json::ForEachElement(
          f, [&](size_t, value e) { return ParseFormat(e, &formats.emplace_back()); });
    }
    return json::Skip(f);
  }));
  banner->sizes.clear();
  if (primary.w > 0 && primary.h > 0) banner->sizes.push_back(primary);
  for (const engine::Size& s : formats) {
    if (s.w > 0 && s.h > 0 && s != primary) banner->sizes.push_back(s);
  }
  return absl::OkStatus();
}

absl::Status ParseVideo(value v, engine::VideoSpec* video) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "w") return json::ReadInt(f, &video->size.w);
    if (key == "h") return json::ReadInt(f, &video->size.h);
    if (key == "minduration") return json::ReadInt(f, &video->min_duration);
    if (key == "maxduration") return json::ReadInt(f, &video->max_duration);
    if (key == "mimes") return json::ReadStringArray(f, &video->mimes);
    if (key == "battr") return json::ReadIntArray(f, &video->battr);
    if (key == "protocols") return json::ReadIntArray(f, &video->protocols);
    if (key == "protocol") {  // 2.5's deprecated single value; counts as one more protocol
      int protocol = 0;
      VETRINA_RETURN_IF_ERROR(json::ReadInt(f, &protocol));
      video->protocols.push_back(protocol);
      return absl::OkStatus();
    }
    return json::Skip(f);
  });
}

absl::Status ParseAudio(value v, engine::AudioSpec* audio) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "mimes") return json::ReadStringArray(f, &audio->mimes);
    return json::Skip(f);
  });
}

absl::Status ParseDeal(value v, engine::Deal* deal) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "id") return json::ReadString(f, &deal->id);
    if (key == "bidfloor") return ReadPrice(f, &deal->floor);
    if (key == "bidfloorcur") return json::ReadString(f, &deal->floor_currency);
    if (key == "at") return json::ReadInt(f, &deal->auction_type);
    if (key == "wseat") return json::ReadStringArray(f, &deal->wseat);
    return json::Skip(f);
  });
}

absl::Status ParsePmp(value v, engine::Imp* imp) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "private_auction") return json::ReadFlag(f, &imp->private_auction);
    if (key == "deals") {
      return json::ForEachElement(
          f, [&](size_t, value e) { return ParseDeal(e, &imp->deals.emplace_back()); });
    }
    return json::Skip(f);
  });
}

// `imp.ext.skadn`, the IAB Tech Lab SKAdNetwork extension. Network ids are lower-cased: the
// extension has publishers list them so, and we match ours against them.
absl::Status ParseSkadn(value v, engine::SkadnRequest* skadn) {
  std::vector<std::string> versions, version, ids, additional_ids;
  VETRINA_RETURN_IF_ERROR(json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "versions") return json::ReadStringArray(f, &versions);
    if (key == "version") return json::ReadString(f, &version.emplace_back());
    if (key == "sourceapp") return json::ReadString(f, &skadn->source_app);
    if (key == "skadnetids") return json::ReadStringArray(f, &ids);
    if (key == "productpage") return json::ReadFlag(f, &skadn->product_page);
    if (key == "skoverlay") return json::ReadFlag(f, &skadn->skoverlay);
    if (key == "skadnetlist") {
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "addl") return json::ReadStringArray(g, &additional_ids);
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  }));
  skadn->versions = std::move(versions);
  skadn->versions.insert(skadn->versions.end(), version.begin(), version.end());
  skadn->network_ids = std::move(ids);
  skadn->network_ids.insert(skadn->network_ids.end(), additional_ids.begin(), additional_ids.end());
  for (std::string& id : skadn->network_ids) absl::AsciiStrToLower(&id);
  return absl::OkStatus();
}

absl::Status ParseImpExt(value v, engine::Imp* imp) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "skadn") {
      simdjson::ondemand::json_type type;
      if (f.type().get(type) == simdjson::SUCCESS && type == simdjson::ondemand::json_type::null) {
        return absl::OkStatus();
      }
      return ParseSkadn(f, &imp->skadn.emplace());
    }
    if (key == "prebid") {
      simdjson::ondemand::json_type type;
      if (f.type().get(type) == simdjson::SUCCESS && type == simdjson::ondemand::json_type::null) {
        return absl::OkStatus();
      }
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "is_rewarded_inventory") {
          bool rewarded = false;
          VETRINA_RETURN_IF_ERROR(json::ReadFlag(g, &rewarded));
          imp->rewarded = imp->rewarded || rewarded;
        }
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  });
}

absl::Status ParsePublication(value v, engine::DistributionChannel channel,
                              engine::Publication* pub) {
  pub->channel = channel;
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "id") return json::ReadString(f, &pub->id);
    if (key == "bundle" && channel == engine::DistributionChannel::kApp) {
      return json::ReadString(f, &pub->bundle);
    }
    if (key == "domain") return json::ReadString(f, &pub->domain);
    if (key == "cat") return json::ReadStringArray(f, &pub->categories);
    if (key == "publisher") {
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "id") return json::ReadString(g, &pub->publisher_id);
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  });
}

absl::Status ParseGeo(value v, engine::Device* device) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "country") {
      VETRINA_RETURN_IF_ERROR(json::ReadString(f, &device->country));
      absl::AsciiStrToUpper(&device->country);
      return absl::OkStatus();
    }
    if (key == "region") {
      VETRINA_RETURN_IF_ERROR(json::ReadString(f, &device->region));
      absl::AsciiStrToUpper(&device->region);
      return absl::OkStatus();
    }
    if (key == "city") return json::ReadString(f, &device->city);
    if (key == "utcoffset") {
      VETRINA_RETURN_IF_ERROR(json::ReadInt(f, &device->utc_offset_minutes));
      if (device->utc_offset_minutes < -24 * 60 || device->utc_offset_minutes > 24 * 60) {
        return absl::InvalidArgumentError(": must be within [-1440, 1440] minutes");
      }
      return absl::OkStatus();
    }
    return json::Skip(f);
  });
}

absl::Status ParseOptionalInt(value v, std::optional<int>* out) {
  int n;
  VETRINA_RETURN_IF_ERROR(json::ReadInt(v, &n));
  *out = n;
  return absl::OkStatus();
}

absl::Status ParseDevice(value v, engine::Device* device) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "ua") return json::ReadString(f, &device->ua);
    if (key == "ip") return json::ReadString(f, &device->ip);
    if (key == "ipv6") return json::ReadString(f, &device->ipv6);
    if (key == "devicetype") return json::ReadInt(f, &device->device_type);
    if (key == "connectiontype") return json::ReadInt(f, &device->connection_type);
    if (key == "os") {
      VETRINA_RETURN_IF_ERROR(json::ReadString(f, &device->os));
      absl::AsciiStrToLower(&device->os);
      return absl::OkStatus();
    }
    if (key == "osv") return json::ReadString(f, &device->os_version);
    if (key == "make") return json::ReadString(f, &device->make);
    if (key == "model") return json::ReadString(f, &device->model);
    if (key == "language") {
      VETRINA_RETURN_IF_ERROR(json::ReadString(f, &device->language));
      absl::AsciiStrToLower(&device->language);
      return absl::OkStatus();
    }
    if (key == "ifa") return json::ReadString(f, &device->ifa);
    if (key == "lmt") return ParseOptionalInt(f, &device->lmt);
    if (key == "dnt") return ParseOptionalInt(f, &device->dnt);
    if (key == "geo") return ParseGeo(f, device);
    if (key == "ext") {
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "ifv") return json::ReadString(g, &device->ifv);
        if (inner == "atts") return ParseOptionalInt(g, &device->atts);
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  });
}

absl::Status ParseEids(value v, std::vector<engine::Eid>* eids) {
  eids->clear();
  return json::ForEachElement(v, [&](size_t, value e) {
    engine::Eid& eid = eids->emplace_back();
    return json::ForEachField(e, [&](std::string_view key, value f) {
      if (key == "source") return json::ReadString(f, &eid.source);
      if (key == "uids") {
        return json::ForEachElement(f, [&](size_t, value uid) {
          return json::ForEachField(uid, [&](std::string_view inner, value g) {
            if (inner == "id") return json::ReadString(g, &eid.ids.emplace_back());
            return json::Skip(g);
          });
        });
      }
      return json::Skip(f);
    });
  });
}

absl::Status ParseUser(value v, engine::User* user) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "id") return json::ReadString(f, &user->id);
    if (key == "buyeruid") return json::ReadString(f, &user->buyer_uid);
    if (key == "consent") return json::ReadString(f, &user->consent);
    if (key == "eids") return ParseEids(f, &user->eids);
    if (key == "ext") {
      // 2.5 locations; a 2.6 field seen earlier in the object wins.
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "consent" && user->consent.empty()) return json::ReadString(g, &user->consent);
        if (inner == "eids" && user->eids.empty()) return ParseEids(g, &user->eids);
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  });
}

absl::Status ParseDsaTransparency(value v, std::vector<engine::DsaTransparency>* out) {
  out->clear();
  return json::ForEachElement(v, [&](size_t, value e) {
    engine::DsaTransparency& entry = out->emplace_back();
    return json::ForEachField(e, [&](std::string_view key, value f) {
      if (key == "domain") return json::ReadString(f, &entry.domain);
      if (key == "dsaparams") return json::ReadIntArray(f, &entry.params);
      return json::Skip(f);
    });
  });
}

// `regs.ext.dsa`, the DSA Transparency community extension. OpenRTB 2.6 has no `regs.dsa`: the
// extension defines only this location.
absl::Status ParseDsa(value v, std::optional<engine::DsaSignal>* out) {
  simdjson::ondemand::json_type type;
  if (v.type().get(type) == simdjson::SUCCESS && type == simdjson::ondemand::json_type::null) {
    return absl::OkStatus();  // as if absent
  }
  engine::DsaSignal dsa;
  VETRINA_RETURN_IF_ERROR(json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "dsarequired") return json::ReadInt(f, &dsa.required);
    if (key == "pubrender") return ParseOptionalInt(f, &dsa.pubrender);
    if (key == "datatopub") return ParseOptionalInt(f, &dsa.datatopub);
    if (key == "transparency") return ParseDsaTransparency(f, &dsa.transparency);
    return json::Skip(f);
  }));
  *out = std::move(dsa);
  return absl::OkStatus();
}

absl::Status ParseRegs(value v, engine::Regs* regs) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "coppa") return ParseOptionalInt(f, &regs->coppa);
    if (key == "gdpr") return ParseOptionalInt(f, &regs->gdpr);
    if (key == "us_privacy") return json::ReadString(f, &regs->us_privacy);
    if (key == "gpp") return json::ReadString(f, &regs->gpp);
    if (key == "gpp_sid") return json::ReadIntArray(f, &regs->gpp_sid);
    if (key == "ext") {
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "gdpr" && !regs->gdpr) return ParseOptionalInt(g, &regs->gdpr);
        if (inner == "us_privacy" && regs->us_privacy.empty()) {
          return json::ReadString(g, &regs->us_privacy);
        }
        if (inner == "dsa") return ParseDsa(g, &regs->dsa);
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  });
}

// OpenRTB 2.6 §3.2.25 SupplyChain and §3.2.26 SupplyChainNode.
absl::Status ParseSupplyChain(value v, engine::SupplyChain* chain) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "complete") {
      int complete = 0;
      VETRINA_RETURN_IF_ERROR(json::ReadInt(f, &complete));
      chain->complete = complete == 1;
      return absl::OkStatus();
    }
    if (key == "ver") return json::ReadString(f, &chain->version);
    if (key != "nodes") return json::Skip(f);
    return json::ForEachElement(f, [&](size_t, value n) {
      engine::SupplyChainNode& node = chain->nodes.emplace_back();
      VETRINA_RETURN_IF_ERROR(json::ForEachField(n, [&](std::string_view field, value g) {
        if (field == "asi") return json::ReadString(g, &node.asi);
        if (field == "sid") return json::ReadString(g, &node.sid);
        if (field == "rid") return json::ReadString(g, &node.rid);
        if (field == "name") return json::ReadString(g, &node.name);
        if (field == "domain") return json::ReadString(g, &node.domain);
        if (field == "hp") return ParseOptionalInt(g, &node.hp);
        return json::Skip(g);
      }));
      // Domains compare case-insensitively; sellers.json uploads are keyed lower-case.
      absl::AsciiStrToLower(&node.asi);
      return absl::OkStatus();
    });
  });
}

// `source.schain` (2.6) wins over `source.ext.schain` (2.5) when both are present.
absl::Status ParseSource(value v, engine::BidRequest* out) {
  std::optional<engine::SupplyChain> ext_schain;
  VETRINA_RETURN_IF_ERROR(json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "schain") return ParseSupplyChain(f, &out->schain.emplace());
    if (key == "ext") {
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "schain") return ParseSupplyChain(g, &ext_schain.emplace());
        return json::Skip(g);
      });
    }
    return json::Skip(f);
  }));
  if (!out->schain && ext_schain) out->schain = std::move(ext_schain);
  out->has_schain = out->schain.has_value();
  return absl::OkStatus();
}

}  // namespace

BidRequestParser::BidRequestParser(size_t max_bytes) : max_bytes_(max_bytes), parser_(max_bytes) {}

absl::Status BidRequestParser::ParseImp(value v, engine::Imp* imp) {
  return json::ForEachField(v, [&](std::string_view key, value f) {
    if (key == "id") return json::ReadString(f, &imp->id);
    if (key == "banner") return ParseBanner(f, &imp->banner.emplace());
    if (key == "video") return ParseVideo(f, &imp->video.emplace());
    if (key == "audio") return ParseAudio(f, &imp->audio.emplace());
    if (key == "native") {
      engine::NativeSpec& native = imp->native.emplace();
      return json::ForEachField(f, [&](std::string_view inner, value g) {
        if (inner == "battr") return json::ReadIntArray(g, &native.battr);
        if (inner != "request") return json::Skip(g);
        simdjson::ondemand::json_type type;
        if (auto e = g.type().get(type)) return json::Error(e, "a string");
        if (type == simdjson::ondemand::json_type::object) {
          return NativeRequestParser::ParseObject(g, &native.request);
        }
        std::string_view text;
        if (auto e = g.get_string().get(text)) return json::Error(e, "a string");
        // The native request is a document of its own: its syntax errors break only this imp.
        const bool outer_malformed = json::parse_state.malformed_json;
        absl::Status s = native_parser_.Parse(text, &native.request);
        json::parse_state.malformed_json = outer_malformed;
        return s;
      });
    }
    if (key == "instl") return json::ReadFlag(f, &imp->interstitial);
    if (key == "secure") return json::ReadFlag(f, &imp->secure);
    if (key == "rwdd") {
      bool rewarded = false;
      VETRINA_RETURN_IF_ERROR(json::ReadFlag(f, &rewarded));
      imp->rewarded = imp->rewarded || rewarded;
      return absl::OkStatus();
    }
    if (key == "bidfloor") return ReadPrice(f, &imp->bid_floor);
    if (key == "bidfloorcur") return json::ReadString(f, &imp->bid_floor_currency);
    if (key == "tagid") return json::ReadString(f, &imp->tag_id);
    if (key == "pmp") return ParsePmp(f, imp);
    if (key == "ext") return ParseImpExt(f, imp);
    return json::Skip(f);
  });
}

absl::Status BidRequestParser::ParseRoot(value root, engine::BidRequest* out) {
  int distribution_channels = 0;
  VETRINA_RETURN_IF_ERROR(json::ForEachField(root, [&](std::string_view key, value f) {
    if (key == "id") return json::ReadString(f, &out->id);
    if (key == "imp") {
      return json::ForEachElement(f, [&](size_t index, value e) {
        engine::Imp& imp = out->imps.emplace_back();
        ImpDropReason reason = ImpDropReason::kMalformed;
        absl::Status s = ParseImp(e, &imp);
        if (s.ok()) {
          reason = ImpDropReason::kIncomplete;
          s = ValidateImp(imp);
        }
        if (s.ok()) return s;
        // Unreadable JSON or a duplicated member leaves no request we can trust; anything else
        // wrong inside the imp costs only the imp.
        if (json::parse_state.malformed_json || json::parse_state.duplicate_member) return s;
        out->imps.pop_back();
        notes_.dropped_imps.push_back({index, reason, json::Prefix(StrCat("imp[", index, "]"), s)});
        return absl::OkStatus();
      });
    }
    if (key == "app" || key == "site" || key == "dooh") {
      ++distribution_channels;
      if (distribution_channels > 1) {
        return absl::InvalidArgumentError(": only one of site, app and dooh may be present");
      }
      const auto channel = key == "app"    ? engine::DistributionChannel::kApp
                           : key == "site" ? engine::DistributionChannel::kSite
                                           : engine::DistributionChannel::kDooh;
      return ParsePublication(f, channel, &out->publication);
    }
    if (key == "device") return ParseDevice(f, &out->device);
    if (key == "user") return ParseUser(f, &out->user);
    if (key == "regs") return ParseRegs(f, &out->regs);
    if (key == "source") return ParseSource(f, out);
    if (key == "at") return json::ReadInt(f, &out->auction_type);
    if (key == "tmax") return json::ReadInt(f, &out->tmax_ms);
    if (key == "test") return json::ReadFlag(f, &out->test);
    if (key == "cur") return json::ReadStringArray(f, &out->currencies);
    if (key == "wseat") return json::ReadStringArray(f, &out->wseat);
    if (key == "bseat") return json::ReadStringArray(f, &out->bseat);
    if (key == "bcat") return json::ReadStringArray(f, &out->bcat);
    if (key == "cattax") return json::ReadInt(f, &out->cattax);
    if (key == "badv") return json::ReadStringArray(f, &out->badv);
    if (key == "bapp") return json::ReadStringArray(f, &out->bapp);
    return json::Skip(f);
  }));
  if (out->imps.empty() && !notes_.dropped_imps.empty()) return notes_.dropped_imps.front().error;
  return ValidateBidRequest(*out);
}

absl::Status BidRequestParser::Parse(std::string_view json, engine::BidRequest* out) {
  if (json.size() > max_bytes_) {
    return absl::ResourceExhaustedError(StrCat("request body larger than ", max_bytes_));
  }
  *out = engine::BidRequest();
  notes_ = ParseNotes();
  json::parse_state = json::ParseState();
  padded_.assign(json);
  padded_.resize(json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (auto e = parser_.iterate(padded_.data(), json.size(), padded_.size()).get(doc)) {
    return absl::InvalidArgumentError(StrCat("invalid JSON (", simdjson::error_message(e), ")"));
  }
  simdjson::ondemand::json_type type;
  if (auto e = doc.type().get(type)) {
    return absl::InvalidArgumentError(StrCat("invalid JSON (", simdjson::error_message(e), ")"));
  }
  if (type != simdjson::ondemand::json_type::object) {
    return absl::InvalidArgumentError("request: must be an object");
  }
  value root;
  if (auto e = doc.get_value().get(root)) {
    return absl::InvalidArgumentError(StrCat("invalid JSON (", simdjson::error_message(e), ")"));
  }
  absl::Status root_status = ParseRoot(root, out);
  notes_.ignored_exts = json::parse_state.ignored_exts;
  if (absl::Status s = std::move(root_status); !s.ok()) {
    // Errors about the root itself read "request: must be an object".
    if (!s.message().empty() && s.message().front() == ':') return json::Prefix("request", s);
    return s;
  }
  if (doc.current_location().error() == simdjson::SUCCESS)
    return absl::InvalidArgumentError("request: trailing content after the object");
  if (!notes_.dropped_imps.empty()) {
    // On-Demand skips the rest of an imp it stopped reading without checking it, so a request
    // that keeps going past a broken imp is checked whole; this is rare, so it may cost a pass.
    simdjson::dom::element checked;
    if (auto e = validator_.parse(padded_.data(), json.size(), false).get(checked)) {
      return absl::InvalidArgumentError(StrCat("invalid JSON (", simdjson::error_message(e), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateImp(const engine::Imp& imp) {
  if (imp.id.empty()) return absl::InvalidArgumentError("id: required");
  if (!imp.banner && !imp.video && !imp.audio && !imp.native) {
    return absl::InvalidArgumentError(": needs one of banner, video, audio, native");
  }
  // Native 1.2 §4.1: `assets` is required and holds at least one asset; an ad with none would
  // be empty.
  if (imp.native && imp.native->request.assets.empty()) {
    return absl::InvalidArgumentError("native.request.assets: at least one asset is required");
  }
  return absl::OkStatus();
}

absl::Status ValidateBidRequest(const engine::BidRequest& request) {
  if (request.id.empty()) return absl::InvalidArgumentError("id: required");
  if (request.imps.empty()) return absl::InvalidArgumentError("imp: at least one imp is required");
  absl::flat_hash_set<std::string_view> ids;
  for (size_t i = 0; i < request.imps.size(); ++i) {
    const engine::Imp& imp = request.imps[i];
    if (absl::Status s = ValidateImp(imp); !s.ok()) return json::Prefix(StrCat("imp[", i, "]"), s);
    if (!ids.insert(imp.id).second) {
      return absl::InvalidArgumentError(StrCat("imp[", i, "].id: duplicate \"", imp.id, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace vetrina::openrtb
