#pragma once
// A byte stream over a non-blocking socket: plain TCP or TLS (OpenSSL). The gateway's
// WebSocket connections and the client's connection to the gateway both sit on one.

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "net/socket.hpp"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX; only transport.cpp knows OpenSSL

namespace httvps::net {

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int fd() const noexcept = 0;
  // Advances the TLS handshake (plain: kOk at once). kOk once it is complete.
  virtual IoResult handshake() noexcept = 0;
  virtual IoResult read(std::span<std::uint8_t> out) noexcept = 0;
  virtual IoResult write(std::span<const std::uint8_t> in) noexcept = 0;
  // After a failed handshake or read: what went wrong, for logs.
  virtual std::string error() const noexcept = 0;
};

// Takes ownership of FD (closed by the destructor).
std::unique_ptr<Transport> make_plain_transport(int fd) noexcept;

// A TLS context: the server's certificate and key, or the client's verification policy.
class TlsContext {
 public:
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // The server side from PEM files (the chain and its key). nullptr with ERROR naming the
  // file and OpenSSL's reason.
  static std::shared_ptr<TlsContext> server(const std::string& cert_file, const std::string& key_file,
                                            std::string& error) noexcept;

  struct ClientOptions {
    std::string server_name;  // SNI and the name checked against the certificate
    std::string pin;          // "sha256:<base64url SPKI hash>": accept exactly that key
    bool insecure = false;    // accept any certificate (tests, first contact)
  };
  // The client side: system trust store and host name check, unless a pin or insecure
  // says otherwise.
  static std::shared_ptr<TlsContext> client(std::string& error) noexcept;

  ssl_ctx_st* get() const noexcept { return ctx_; }

 private:
  explicit TlsContext(ssl_ctx_st* ctx) noexcept : ctx_(ctx) {}
  ssl_ctx_st* ctx_;
};

// Takes ownership of FD. The server side accepts; the client side connects with OPTIONS.
std::unique_ptr<Transport> make_tls_server_transport(int fd, std::shared_ptr<TlsContext> ctx) noexcept;
std::unique_ptr<Transport> make_tls_client_transport(int fd, std::shared_ptr<TlsContext> ctx,
                                                     const TlsContext::ClientOptions& options) noexcept;

// "sha256:" + base64url (unpadded) SHA-256 of the SubjectPublicKeyInfo of the certificate
// in PEM_FILE: the pin= of httvps:// URIs. Empty with ERROR set on failure.
std::string spki_pin_of_file(const std::string& pem_file, std::string& error) noexcept;

}  // namespace httvps::net
