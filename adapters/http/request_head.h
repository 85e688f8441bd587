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
#include <optional>
#include <string_view>

#include "adapters/http/http_types.h"

namespace vetrina::http {

// A request's start line and header fields, as Beast's parser leaves them; every
// `bhttp::request<Body>` is one.
using RequestHeader = boost::beast::http::request_header<>;

// The request as a handler sees it, minus what the header does not carry: `body` and
// `received_at` stay empty for the session to fill in, `worker` is copied through. Every view
// points into `head` (or, for the "/" of an absolute-form target without a path, at a constant),
// so the result is valid only while `head` is neither changed nor destroyed.
//
// - method: GET, HEAD, POST, PUT and DELETE by Beast's verb (method names are case-sensitive, so
//   "get" is kOther); every other method is kOther.
// - path / query: the target split at its first '?', the '?' in neither; query is "" when there
//   is no '?'. An absolute-form target with an http or https scheme (any case) is routed as the
//   server's own (RFC 9112 §3.2.2): its scheme and authority are dropped and an empty path is
//   "/" ("http://h:80?q" -> "/", "q"). Nothing is decoded or normalised, and any other target
//   without a leading '/' is returned as it is, for the router to refuse.
// - authorization, content_type, openrtb_version (x-openrtb-version): the first field of that
//   name (names compare case-insensitively), "" when absent; later duplicates are ignored.
HttpRequest ToHttpRequest(const RequestHeader& head, int worker);

// Why a request's header alone refuses it, with the status that says so; the server answers it
// and closes the connection, the body unread.
struct HeadRefusal {
  int status = 400;         // 400, or 501 for a transfer coding we do not decode
  std::string_view reason;  // for the error body; a constant
};

// Checks the header fields that frame the request (RFC 9112), in this order:
// - Host (§3.2): HTTP/1.1 without one, or any request with more than one Host field line: 400.
//   HTTP/1.0 may omit it.
// - Transfer-Encoding, every field line of it taken together as one list:
//   - in HTTP/1.0: 400 (§6.1: its framing is faulty);
//   - with Content-Length: 400 (§6.3 item 3 lets the server reject it);
//   - chunked (case-insensitive, without parameters) missing or not last: 400 (§6.3 item 4:
//     the body's end is unknown); chunked more than once: 400 (§7);
//   - other codings before the final chunked ("gzip, chunked"): 501 (§6.1), as the one
//     transfer coding we implement is chunked.
// nullopt when none applies.
std::optional<HeadRefusal> CheckRequestHead(const RequestHeader& head);

// How a request body is encoded, from its first Content-Encoding field.
enum class ContentCoding {
  kIdentity,     // no Content-Encoding, or "identity"
  kGzip,         // "gzip": the server inflates the body before the handler sees it
  kUnsupported,  // anything else, lists included ("gzip, identity"): the server answers 415
};

// Compares case-insensitively; Beast has trimmed the value's surrounding whitespace.
ContentCoding ContentCodingOf(const RequestHeader& head);

}  // namespace vetrina::http
