#include "adapters/http/http_types.h"

#include "base/json_writer.h"

namespace vetrina::http {

void SetError(int status, std::string_view message, HttpResponse* response) {
  response->status = status;
  response->content_type = "application/json";
  response->body = "{\"error\":\"";
  AppendJsonEscaped(message, &response->body);
  response->body.append("\"}");
}

}  // namespace vetrina::http
