//! The stand-in's routing and selectors, through kube's typed API.

use k8s_openapi::api::core::v1::{Namespace, Pod, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::ListParams;
use kube::Api;
use serde_json::json;

use super::standin::{Kind, KubeStandin};
use super::tests::api;

fn service(ns: &str, name: &str, app: &str) -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{ns}-{name}"), "labels": {"app": app}},
        "spec": {"clusterIP": "10.96.0.20", "ports": [{"port": 80, "protocol": "TCP", "targetPort": 8080}], "selector": {"app": app}}})
}

#[tokio::test]
async fn namespaced_paths_and_label_selectors_narrow_a_list() {
    let standin = KubeStandin::start().await.unwrap();
    standin.apply_object(Kind::Service, service("shop", "checkout", "checkout"));
    standin.apply_object(Kind::Service, service("shop", "cart", "cart"));
    standin.apply_object(Kind::Service, service("bank", "ledger", "checkout"));
    standin.apply_object(
        Kind::EndpointSlice,
        json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "checkout-x7k2p", "namespace": "shop", "uid": "uid-slice", "labels": {"kubernetes.io/service-name": "checkout"}},
        "addressType": "IPv4", "endpoints": [{"addresses": ["10.244.1.17"], "conditions": {"ready": true}}], "ports": [{"port": 8080, "protocol": "TCP"}]}),
    );
    let client = api(&standin).await;

    let names = |list: kube::core::ObjectList<Service>| list.items.into_iter().filter_map(|s| s.metadata.name).collect::<Vec<_>>();
    let in_shop: Api<Service> = Api::namespaced(client.clone(), "shop");
    assert_eq!(names(in_shop.list(&ListParams::default()).await.unwrap()), ["cart", "checkout"]);
    let everywhere: Api<Service> = Api::all(client.clone());
    assert_eq!(
        names(everywhere.list(&ListParams::default().labels("app=checkout")).await.unwrap()),
        ["ledger", "checkout"],
        "bank/ledger lists before shop/checkout"
    );
    assert_eq!(names(everywhere.list(&ListParams::default().labels("app!=checkout")).await.unwrap()), ["cart"]);
    assert_eq!(in_shop.get("checkout").await.unwrap().metadata.uid.as_deref(), Some("uid-shop-checkout"));

    let slices: Api<EndpointSlice> = Api::all(client.clone());
    let list = slices.list(&ListParams::default().fields("metadata.namespace=shop")).await.unwrap();
    assert_eq!(list.items[0].endpoints[0].addresses, ["10.244.1.17"]);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert!(namespaces.list(&ListParams::default()).await.unwrap().items.is_empty(), "each kind has its own store");

    let pods: Api<Pod> = Api::all(client);
    let err = pods.list(&ListParams::default().fields("status.phase=Running")).await.unwrap_err();
    assert!(err.to_string().contains("field label not supported"), "{err}");
}
