// SPDX-License-Identifier: GPL-2.0-or-later
//! The driver's polling order ([`Runner::flush`]): a responder's Child SA is in the kernel
//! before its IKE_AUTH answer leaves, so an initiator's first ESP packet finds it.

use ike_core::crypto::SystemRng;
use ike_core::engine::{Engine, EngineConfig, Event, KernelEvent, KernelOp};
use nm_plugin::driver::files::FileAccess;
use nm_plugin::driver::kernel::{Kernel, RecordingKernel};
use nm_plugin::driver::launch::runner;
use nm_plugin::driver::profile::connection_config;
use nm_plugin::driver::run::Sockets;
use nm_plugin::settings::Settings;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// A recording kernel that notes, for each SA it installs, how many datagrams its side had
/// sent at that moment. It answers SPI allocations on the loop's next turn (through
/// [`Kernel::poll_events`]), as a kernel may, so the answer and the SAs that follow the
/// allocation come out of the engine in the same call and only the driver's order decides.
struct Watched {
    inner: RecordingKernel,
    sent: Arc<AtomicU64>,
    installs: Arc<Mutex<Vec<u64>>>,
    deferred: Vec<KernelEvent>,
}

impl Kernel for Watched {
    fn execute(&mut self, op: &KernelOp) -> Option<KernelEvent> {
        if matches!(op, KernelOp::InstallSa { .. }) {
            if let Ok(mut v) = self.installs.lock() {
                v.push(self.sent.load(Ordering::SeqCst));
            }
        }
        let ev = self.inner.execute(op);
        if matches!(op, KernelOp::AllocateSpi { .. }) {
            self.deferred.extend(ev);
            return None;
        }
        ev
    }

    fn poll_events(&mut self) -> Vec<KernelEvent> {
        let mut evs = std::mem::take(&mut self.deferred);
        evs.extend(self.inner.poll_events());
        evs
    }

    /// Makes the loop turn every few milliseconds while an answer is deferred.
    fn waiting_for_address(&self) -> bool {
        !self.deferred.is_empty()
    }
}

#[tokio::test]
async fn a_responder_installs_its_child_sa_before_the_ike_auth_answer_leaves() {
    let psk = "driver-order-test-key";
    let (gw_engine, listen) = crate::service_dbus::responder_engine(psk, "[]");
    let gw_sockets = Sockets::bind(listen, 0, 0).await.unwrap();
    let gw_port = gw_sockets.local_ports().0;
    let installs = Arc::new(Mutex::new(Vec::new()));
    let gw_kernel = Watched {
        inner: RecordingKernel::new(Box::new(SystemRng::new())),
        sent: gw_sockets.sent_counter(),
        installs: installs.clone(),
        deferred: Vec::new(),
    };
    let (gw_events, _gw_events) = mpsc::unbounded_channel();
    let mut gw = runner(gw_engine, gw_sockets, Box::new(gw_kernel), gw_events);
    let (gw_stop, gw_stop_rx) = watch::channel(false);
    let gw_task = tokio::spawn(async move { gw.run(gw_stop_rx, false).await });

    let data: BTreeMap<String, String> = [
        ("right", "127.0.0.1".to_string()),
        ("rightport", gw_port.to_string()),
        ("rightid", "@gw.test".to_string()),
        ("leftid", "@client.test".to_string()),
        ("authby", "secret".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let secrets = BTreeMap::from([("pskvalue".to_string(), psk.to_string())]);
    let settings = Settings::from_maps(&data, &secrets).unwrap();
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let remote = SocketAddr::new(local, gw_port);
    let conn = connection_config("client", &settings, remote, local, &FileAccess::Direct).unwrap();
    let client_sockets = Sockets::bind(local, 0, 0).await.unwrap();
    let client_kernel = RecordingKernel::new(Box::new(SystemRng::new()));
    let mut engine = Engine::new(EngineConfig::default(), Box::new(SystemRng::new()));
    engine
        .initiate(ike_core::engine::Time::from_millis(0), conn)
        .unwrap();
    let (events, mut client_events) = mpsc::unbounded_channel();
    let mut client = runner(engine, client_sockets, Box::new(client_kernel), events);
    let (client_stop, client_stop_rx) = watch::channel(false);
    let client_task = tokio::spawn(async move { client.run(client_stop_rx, false).await });

    let up = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = client_events.recv().await {
            if matches!(ev, Event::ChildSaUp { .. }) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(up, Ok(true), "the client's Child SA came up");
    // The gateway sent two answers (IKE_SA_INIT, IKE_AUTH); both of its SAs were installed
    // after the first and before the second.
    let seen = installs.lock().unwrap().clone();
    assert_eq!(
        seen,
        vec![1, 1],
        "datagrams sent by the gateway at each InstallSa"
    );
    let _ = client_stop.send(true);
    let _ = gw_stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(10), client_task).await;
    gw_task.abort();
}
