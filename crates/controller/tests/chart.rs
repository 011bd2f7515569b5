//! The chart's guards, read from the templates (helm is not a test peer).

fn template(name: &str) -> String {
    let path = format!(
        "{}/../../charts/hush-controller/templates/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn service_monitor_fails_clearly_without_the_prometheus_operator_api() {
    let t = template("servicemonitor.yaml");
    let guard = t
        .find(r#"{{- if not (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}"#)
        .expect("a Capabilities guard");
    let fail = t[guard..].find("{{- fail ").expect("a clear failure") + guard;
    let kind = t.find("kind: ServiceMonitor").unwrap();
    assert!(
        guard < fail && fail < kind,
        "the guard comes before the object"
    );
}

#[test]
fn openshift_leaves_user_and_fs_group_to_the_scc() {
    let t = template("deployment.yaml");
    let omit = t
        .find(r#"{{- $podSecurity = omit $podSecurity "runAsUser" "runAsGroup" "fsGroup" }}"#)
        .expect("the openshift value drops the fixed ids");
    let guard = t
        .find("{{- if .Values.openshift }}")
        .expect("guarded by the value");
    let used = t
        .find("{{- toYaml $podSecurity | nindent 8 }}")
        .expect("the pod securityContext uses the result");
    assert!(guard < omit && omit < used);
    assert!(!t.contains("toYaml .Values.podSecurityContext"));
}

#[test]
fn secret_delete_is_granted_only_for_adoption() {
    let t = template("clusterrole.yaml");
    let rule = t
        .lines()
        .find(|l| l.contains("verbs:") && l.contains("\"create\", \"patch\""))
        .expect("the secrets rule");
    assert!(
        rule.contains(r#"{{ if .Values.rbac.adoptSecrets }}, "delete"{{ end }}"#),
        "{rule}"
    );
    let values = std::fs::read_to_string(format!(
        "{}/../../charts/hush-controller/values.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    assert!(values.contains("adoptSecrets: false"), "off by default");
}
