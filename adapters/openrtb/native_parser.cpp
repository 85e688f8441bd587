#include "adapters/openrtb/native_parser.h"

#include "adapters/openrtb/json_reader.h"

namespace vetrina::openrtb {
namespace {

using json::value;

absl::Status ParseAsset(value v, engine::NativeAsset* asset) {
  bool has_kind = false;
  VETRINA_RETURN_IF_ERROR(json::ForEachField(v, [&](std::string_view key, value field) {
    if (key == "id") return json::ReadInt64(field, &asset->id);
    if (key == "required") return json::ReadFlag(field, &asset->required);
    auto kind = [&](engine::NativeAssetKind k) {
      asset->kind = k;
      has_kind = true;
      return json::ForEachField(field, [&](std::string_view inner, value f) {
        if (inner == "len") return json::ReadInt(f, &asset->max_len);
        if (inner == "type") return json::ReadInt(f, &asset->type);
        if (k == engine::NativeAssetKind::kImage) {
          if (inner == "w") return json::ReadInt(f, &asset->w);
          if (inner == "h") return json::ReadInt(f, &asset->h);
          if (inner == "wmin") return json::ReadInt(f, &asset->wmin);
          if (inner == "hmin") return json::ReadInt(f, &asset->hmin);
        }
        return json::Skip(f);
      });
    };
    if (key == "title") return kind(engine::NativeAssetKind::kTitle);
    if (key == "img") return kind(engine::NativeAssetKind::kImage);
    if (key == "video") return kind(engine::NativeAssetKind::kVideo);
    if (key == "data") return kind(engine::NativeAssetKind::kData);
    return json::Skip(field);
  }));
  if (!has_kind) {
    return absl::InvalidArgumentError(": must have one of title, img, video, data");
  }
  return absl::OkStatus();
}

}  // namespace

NativeRequestParser::NativeRequestParser() : parser_(kMaxBytes) {}

absl::Status NativeRequestParser::ParseObject(value object, engine::NativeRequest* out) {
  return ParseLevel(object, out, /*wrapped=*/false);
}

absl::Status NativeRequestParser::ParseWrapped(value object, engine::NativeRequest* out) {
  return ParseLevel(object, out, /*wrapped=*/true);
}

absl::Status NativeRequestParser::ParseLevel(value object, engine::NativeRequest* out,
                                             bool wrapped) {
  out->version = "1.2";
  out->assets.clear();
  out->privacy = false;
  return json::ForEachField(object, [&](std::string_view key, value field) {
    // The 1.0/1.1 wrapper, once: a wrapper inside a wrapper is not Native, and recursing on it
    // would let a request nest us off the stack.
    if (key == "native" && !wrapped) {
      return ParseWrapped(field, out);
    }
    if (key == "ver") return json::ReadString(field, &out->version);
    if (key == "privacy") return json::ReadFlag(field, &out->privacy);
    if (key == "assets") {
      return json::ForEachElement(field, [&](size_t, value asset) {
        return ParseAsset(asset, &out->assets.emplace_back());
      });
    }
    return json::Skip(field);
  });
}

absl::Status NativeRequestParser::Parse(std::string_view json, engine::NativeRequest* out) {
  if (json.size() > kMaxBytes) return absl::InvalidArgumentError(": too large");
  padded_.assign(json);
  padded_.resize(json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::ondemand::document doc;
  if (auto e = parser_.iterate(padded_.data(), json.size(), padded_.size()).get(doc)) {
    return json::Error(e, "a JSON object");
  }
  simdjson::ondemand::json_type type;
  if (auto e = doc.type().get(type)) return json::Error(e, "a JSON object");
  if (type != simdjson::ondemand::json_type::object) {
    return json::Error(simdjson::INCORRECT_TYPE, "a JSON object");
  }
  value root;
  if (auto e = doc.get_value().get(root)) return json::Error(e, "a JSON object");
  VETRINA_RETURN_IF_ERROR(ParseObject(root, out));
  if (doc.current_location().error() == simdjson::SUCCESS)
    return absl::InvalidArgumentError(": trailing content after the object");
  return absl::OkStatus();
}

}  // namespace vetrina::openrtb
