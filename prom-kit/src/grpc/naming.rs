//! The names and labels of the gRPC call metrics, per side and naming scheme.

use crate::instrument::NamingScheme;

/// Which end of a call the metrics describe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrpcSide {
    /// Calls a server handles (`grpc_server_*`).
    Server,
    /// Calls a client makes (`grpc_client_*`).
    Client,
}

/// The metric and label names of one side in one scheme. `None`: the scheme has no
/// such metric.
pub(super) struct GrpcNames {
    pub(super) started: Option<&'static str>,
    pub(super) handled: Option<&'static str>,
    pub(super) received: Option<&'static str>,
    pub(super) sent: Option<&'static str>,
    pub(super) duration: &'static str,
    /// `grpc_type`, `grpc_service`, `grpc_method` — or the OpenTelemetry labels
    /// `rpc_system`, `rpc_service`, `rpc_method`.
    pub(super) call_labels: [&'static str; 3],
    pub(super) code_label: &'static str,
    /// Whether the duration histogram carries the code (OpenTelemetry) or not
    /// (go-grpc-middleware).
    pub(super) duration_has_code: bool,
}

impl GrpcNames {
    pub(super) fn of(side: GrpcSide, naming: NamingScheme) -> Self {
        let server = side == GrpcSide::Server;
        let pick = |s: &'static str, c: &'static str| if server { s } else { c };
        match naming {
            NamingScheme::Classic => Self {
                started: Some(pick("grpc_server_started", "grpc_client_started")),
                handled: Some(pick("grpc_server_handled", "grpc_client_handled")),
                received: Some(pick("grpc_server_msg_received", "grpc_client_msg_received")),
                sent: Some(pick("grpc_server_msg_sent", "grpc_client_msg_sent")),
                duration: pick("grpc_server_handling", "grpc_client_handling"),
                call_labels: ["grpc_type", "grpc_service", "grpc_method"],
                code_label: "grpc_code",
                duration_has_code: false,
            },
            NamingScheme::OpenTelemetry => Self {
                started: None,
                handled: None,
                received: None,
                sent: None,
                duration: pick("rpc_server_call_duration", "rpc_client_call_duration"),
                call_labels: ["rpc_system", "rpc_service", "rpc_method"],
                code_label: "rpc_grpc_status_code",
                duration_has_code: true,
            },
            NamingScheme::OpenTelemetryUtf8 => Self {
                started: None,
                handled: None,
                received: None,
                sent: None,
                duration: pick("rpc.server.call.duration", "rpc.client.call.duration"),
                call_labels: ["rpc.system", "rpc.service", "rpc.method"],
                code_label: "rpc.grpc.status_code",
                duration_has_code: true,
            },
        }
    }

    /// Whether the first call label is the call's kind (`grpc_type`) rather than the
    /// constant `rpc_system="grpc"`.
    pub(super) fn first_label_is_kind(&self) -> bool {
        !self.duration_has_code
    }
}
