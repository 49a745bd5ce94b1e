//! The `system` detector: the host's name, its machine ID, the operating
//! system and the architecture, read from the kernel and `/etc`.

use serde::Deserialize;

use crate::component::ArgumentError;

/// `system { ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Where `host.name` comes from, tried in order until one answers:
    /// `"dns"`, `"os"`, `"cname"` or `"lookup"`. Default `["dns", "os"]`.
    #[serde(default = "default_sources")]
    pub hostname_sources: Vec<String>,
    /// Which attributes are added.
    #[serde(default)]
    pub resource_attributes: SystemAttributes,
}

impl Default for System {
    fn default() -> System {
        System { hostname_sources: default_sources(), resource_attributes: SystemAttributes::default() }
    }
}

fn default_sources() -> Vec<String> {
    vec!["dns".to_string(), "os".to_string()]
}

/// `resource_attributes { <attribute> { enabled = bool } }`: the same
/// switches, and defaults, as Alloy.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemAttributes {
    #[serde(rename = "host.arch", default = "off")]
    pub host_arch: Toggle,
    #[serde(rename = "host.cpu.cache.l2.size", default = "off")]
    pub host_cpu_cache_l2_size: Toggle,
    #[serde(rename = "host.cpu.family", default = "off")]
    pub host_cpu_family: Toggle,
    #[serde(rename = "host.cpu.model.id", default = "off")]
    pub host_cpu_model_id: Toggle,
    #[serde(rename = "host.cpu.model.name", default = "off")]
    pub host_cpu_model_name: Toggle,
    #[serde(rename = "host.cpu.stepping", default = "off")]
    pub host_cpu_stepping: Toggle,
    #[serde(rename = "host.cpu.vendor.id", default = "off")]
    pub host_cpu_vendor_id: Toggle,
    #[serde(rename = "host.id", default = "off")]
    pub host_id: Toggle,
    #[serde(rename = "host.ip", default = "off")]
    pub host_ip: Toggle,
    #[serde(rename = "host.mac", default = "off")]
    pub host_mac: Toggle,
    #[serde(rename = "host.name", default = "on")]
    pub host_name: Toggle,
    #[serde(rename = "os.description", default = "off")]
    pub os_description: Toggle,
    #[serde(rename = "os.type", default = "on")]
    pub os_type: Toggle,
    #[serde(rename = "os.version", default = "off")]
    pub os_version: Toggle,
}

impl Default for SystemAttributes {
    fn default() -> SystemAttributes {
        SystemAttributes {
            host_arch: off(),
            host_cpu_cache_l2_size: off(),
            host_cpu_family: off(),
            host_cpu_model_id: off(),
            host_cpu_model_name: off(),
            host_cpu_stepping: off(),
            host_cpu_vendor_id: off(),
            host_id: off(),
            host_ip: off(),
            host_mac: off(),
            host_name: on(),
            os_description: off(),
            os_type: on(),
            os_version: off(),
        }
    }
}

/// `<attribute> { enabled = bool }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    /// Whether the attribute is added. Required in the block.
    pub enabled: bool,
}

fn on() -> Toggle {
    Toggle { enabled: true }
}

fn off() -> Toggle {
    Toggle { enabled: false }
}

impl System {
    pub fn validate(&self) -> Result<(), ArgumentError> {
        for s in &self.hostname_sources {
            if !["os", "dns", "cname", "lookup"].contains(&s.as_str()) {
                return Err(ArgumentError::new("system.hostname_sources", format!("invalid hostname source: {s}")));
            }
        }
        Ok(())
    }

    /// The enabled attributes Solder does not detect yet.
    pub fn undetected(&self) -> Vec<&'static str> {
        let a = &self.resource_attributes;
        [
            ("host.cpu.cache.l2.size", a.host_cpu_cache_l2_size),
            ("host.cpu.family", a.host_cpu_family),
            ("host.cpu.model.id", a.host_cpu_model_id),
            ("host.cpu.model.name", a.host_cpu_model_name),
            ("host.cpu.stepping", a.host_cpu_stepping),
            ("host.cpu.vendor.id", a.host_cpu_vendor_id),
            ("host.ip", a.host_ip),
            ("host.mac", a.host_mac),
            ("os.description", a.os_description),
            ("os.version", a.os_version),
        ]
        .into_iter()
        .filter(|(_, t)| t.enabled)
        .map(|(name, _)| name)
        .collect()
    }
}

/// The enabled attributes. An error only when `host.name` is enabled and
/// no source gives a name (as in the Collector).
pub fn detect(config: &System) -> Result<Vec<(String, String)>, String> {
    let a = &config.resource_attributes;
    let mut out = Vec::new();
    if a.host_name.enabled {
        let name = config
            .hostname_sources
            .iter()
            .find_map(|s| hostname(s))
            .ok_or_else(|| format!("system: no hostname source gave a name (tried {})", config.hostname_sources.join(", ")))?;
        out.push(("host.name".to_string(), name));
    }
    if a.host_id.enabled {
        if let Some(id) = machine_id() {
            out.push(("host.id".to_string(), id));
        }
    }
    if a.os_type.enabled {
        out.push(("os.type".to_string(), std::env::consts::OS.to_string()));
    }
    if a.host_arch.enabled {
        out.push(("host.arch".to_string(), arch(std::env::consts::ARCH).to_string()));
    }
    let undetected = config.undetected();
    if !undetected.is_empty() {
        tracing::warn!("otelcol.processor.resourcedetection: system: {} are not detected yet and are left out", undetected.join(", "));
    }
    Ok(out)
}

/// The host's name from one source. `os` is the kernel's host name; `dns`
/// and `cname` are its fully qualified name as `/etc/hosts` gives it (the
/// first name on the line listing the host name, when it has a dot): no
/// network query is made. `lookup` (a reverse lookup of the host's
/// address) is not implemented and always falls through to the next.
fn hostname(source: &str) -> Option<String> {
    let os = os_hostname()?;
    match source {
        "os" => Some(os),
        "dns" | "cname" => fqdn(&os, &std::fs::read_to_string("/etc/hosts").ok()?),
        _ => None,
    }
}

fn os_hostname() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    Some(name.trim().to_string()).filter(|n| !n.is_empty())
}

/// The canonical name `/etc/hosts` gives `host`, if it is qualified.
pub(super) fn fqdn(host: &str, hosts: &str) -> Option<String> {
    hosts
        .lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .filter_map(|l| {
            let names: Vec<&str> = l.split_whitespace().skip(1).collect();
            names.contains(&host).then(|| names.first().map(|n| n.to_string())).flatten()
        })
        .find(|n| n.contains('.'))
}

/// `/etc/machine-id`, else the D-Bus copy, as the Collector reads it.
fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"].iter().filter_map(|p| std::fs::read_to_string(p).ok()).map(|s| s.trim().to_string()).find(|s| !s.is_empty())
}

/// Rust's architecture names in the semantic conventions' words.
pub(super) fn arch(rust: &str) -> &str {
    match rust {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm32",
        "powerpc" => "ppc32",
        "powerpc64" => "ppc64",
        "s390x" => "s390x",
        "x86" => "x86",
        other => other,
    }
}
