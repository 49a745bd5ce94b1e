//! `tls` mappings: a receiver's server side and an exporter's client side.

use crate::convert::emit::Block;
use crate::convert::options::{Diags, OptionReader, Ty};

const RELOAD: &str = "Solder reads certificate files when the component starts or its config changes";
const CIPHERS: &str = "Solder negotiates rustls' default cipher suites and curves";

/// A receiver's `tls`: the server's certificate and, for mutual TLS, the
/// CAs client certificates must chain to.
pub fn server(mut r: OptionReader, diags: &mut Diags) -> Block {
    let mut tls = Block::new("tls");
    for key in ["cert_file", "cert_pem", "key_file", "key_pem", "client_ca_file", "min_version", "max_version"] {
        r.copy(&mut tls, key, Ty::String, diags);
    }
    r.unsupported("ca_file", "a server has no use for a CA; use client_ca_file for mutual TLS", diags);
    r.unsupported("ca_pem", "a server has no use for a CA; use client_ca_file for mutual TLS", diags);
    r.unsupported("reload_interval", RELOAD, diags);
    r.unsupported("client_ca_file_reload", RELOAD, diags);
    r.unsupported("cipher_suites", CIPHERS, diags);
    r.unsupported("curve_preferences", CIPHERS, diags);
    r.unsupported("include_system_ca_certs_pool", "client certificates are checked against client_ca_file only", diags);
    r.finish(diags);
    tls
}

/// An exporter's `tls`.
pub fn client(mut r: OptionReader, diags: &mut Diags) -> Block {
    let mut tls = Block::new("tls");
    r.copy(&mut tls, "insecure", Ty::Bool, diags);
    r.copy(&mut tls, "insecure_skip_verify", Ty::Bool, diags);
    for key in ["ca_file", "ca_pem", "cert_file", "cert_pem", "key_file", "key_pem"] {
        r.copy(&mut tls, key, Ty::String, diags);
    }
    r.copy(&mut tls, "include_system_ca_certs_pool", Ty::Bool, diags);
    r.copy_as(&mut tls, "server_name_override", "server_name", Ty::String, diags);
    r.copy(&mut tls, "min_version", Ty::String, diags);
    r.copy(&mut tls, "max_version", Ty::String, diags);
    r.unsupported("reload_interval", RELOAD, diags);
    r.unsupported("cipher_suites", CIPHERS, diags);
    r.unsupported("curve_preferences", CIPHERS, diags);
    r.finish(diags);
    tls
}
