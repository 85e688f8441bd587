// What the server learns from a request's parsed header, as pure functions: no Asio, no I/O, no
// coroutines, so the server's session and the HTTP fuzzer run the same code (the fuzzing build
// cannot compile the session's coroutines).
//
//   bhttp::request_parser<bhttp::empty_body> parser;  // the server reads the header into it
//   HttpRequest request = ToHttpRequest(parser.get(), worker);
//   if (ContentCodingOf(parser.get()) == ContentCoding::kUnsupported) { /* 415 */ }
//
// Beast's message types appear in this header only because they are its input.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include "adapters/http/http_types.h"

namespace vetrina::http {

// A request's start line and header fields, as Beast's parser leaves them; every
// `bhttp::request<Body>` is one.
using RequestHeader = boost::beast::http::request_header<>;

// The request as a handler sees it, minus what the header does not carry: `body` and
// `received_at` stay empty for the session to fill in, `worker` is copied through. Every view
// points into `head`, so the result is valid only while `head` is neither changed nor destroyed.
//
// - method: GET, HEAD, POST, PUT and DELETE by Beast's verb (method names are case-sensitive, so
//   "get" is kOther); every other method is kOther.
// - path / query: the target split at its first '?', the '?' in neither; query is "" when there
//   is no '?'. Nothing is decoded or normalised: an absolute-form target stays whole in `path`,
//   and a target without a leading '/' is returned as it is.
// - authorization, content_type, openrtb_version (x-openrtb-version): the first field of that
//   name (names compare case-insensitively), "" when absent; later duplicates are ignored.
HttpRequest ToHttpRequest(const RequestHeader& head, int worker);

// How a request body is encoded, from its first Content-Encoding field.
enum class ContentCoding {
  kIdentity,     // no Content-Encoding, or "identity"
  kGzip,         // "gzip": the server inflates the body before the handler sees it
  kUnsupported,  // anything else, lists included ("gzip, identity"): the server answers 415
};

// Compares case-insensitively; Beast has trimmed the value's surrounding whitespace.
ContentCoding ContentCodingOf(const RequestHeader& head);

}  // namespace vetrina::http
