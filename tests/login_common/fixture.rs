//! One test's files: a directory the test user can traverse, a
//! self-signed certificate for `localhost`, the stand-in engine, a
//! throttle store, and the common command-line arguments.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use rustls_pki_types::CertificateDer;

/// The stand-in engine: answers the tag as the contract says, then
/// reports who it runs as and echoes commands until LOGOUT.
const FAKE_ENGINE: &str = r#"#!/bin/sh
# Stand-in for asimap-stdio in the asimap-login tests.
tag="$2"
printf '%s OK [CAPABILITY IMAP4rev1] LOGIN completed\r\n' "$tag"
printf '* FAKE uid=%s gid=%s groups=%s\r\n' "$(id -u)" "$(id -g)" "$(id -G)"
printf '* FAKE cwd=%s umask=%s\r\n' "$(pwd)" "$(umask)"
env=$(env | cut -d= -f1 | grep -vx 'PWD\|SHLVL\|_' | sort | tr '\n' ',')
printf '* FAKE env=%s\r\n' "$env"
printf '* FAKE args=%s\r\n' "$*"
if cat /etc/shadow >/dev/null 2>&1; then s=readable; else s=denied; fi
printf '* FAKE shadow=%s\r\n' "$s"
while IFS= read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  t=${line%% *}
  case "$line" in
    *LOGOUT*) printf '* BYE bye\r\n%s OK LOGOUT completed\r\n' "$t"; exit 0;;
    *) printf '%s OK echo\r\n' "$t";;
  esac
done
"#;

/// Files for one test; removed on drop.
pub struct Fixture {
    /// The directory (mode 0755 so the test user reaches the engine).
    pub dir: tempfile::TempDir,
    /// PEM certificate.
    pub cert: PathBuf,
    /// PEM key (mode 0600, root's).
    pub key: PathBuf,
    /// The certificate in DER, for the client's trust store.
    pub ca: CertificateDer<'static>,
    /// The stand-in engine.
    pub fake_engine: PathBuf,
    /// The throttle store.
    pub throttle: PathBuf,
}

impl Fixture {
    /// A fresh fixture.
    pub fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        let mode = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(dir.path(), mode).expect("chmod tempdir");
        let key_pair = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["localhost".into()]).expect("params");
        let cert = params.self_signed(&key_pair).expect("self-signed");
        let cert_path = dir.path().join("cert.pem");
        let key_path = dir.path().join("key.pem");
        std::fs::write(&cert_path, cert.pem()).expect("write cert");
        std::fs::write(&key_path, key_pair.serialize_pem()).expect("write key");
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(&key_path, private).expect("chmod key");
        let fake_engine = dir.path().join("fake-engine");
        std::fs::write(&fake_engine, FAKE_ENGINE).expect("write fake engine");
        let exec = std::fs::Permissions::from_mode(0o755);
        std::fs::set_permissions(&fake_engine, exec).expect("chmod fake engine");
        let throttle = dir.path().join("throttle.sqlite");
        Fixture {
            cert: cert_path,
            key: key_path,
            ca: cert.der().clone(),
            fake_engine,
            throttle,
            dir,
        }
    }

    /// Arguments every test server gets: TLS mode, certificate, throttle
    /// store, short delays, and the engine (`None`: the stand-in).
    pub fn args(&self, tls: &str, engine: Option<&str>) -> Vec<String> {
        let engine = engine
            .map(PathBuf::from)
            .unwrap_or_else(|| self.fake_engine.clone());
        [
            "--tls",
            tls,
            "--cert",
            &self.cert.to_string_lossy(),
            "--key",
            &self.key.to_string_lossy(),
            "--throttle-db",
            &self.throttle.to_string_lossy(),
            "--fail-delay-ms",
            "50",
            "--lockout-delay-ms",
            "50",
            "--engine",
            &engine.to_string_lossy(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    /// A directory in the fixture owned by the test user, mode 0700 (a
    /// mail root); `name` may be nested below one made before, whose
    /// owner stays as it was.
    pub fn user_dir(&self, name: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path).expect("mkdir");
        super::chown_to_user(&path);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).expect("chmod");
        path
    }
}
