//! [`methods_from_descriptor_set`]: the method table from a service's descriptors.

use std::fmt;

use prom_kit::grpc::{GrpcMethods, GrpcType};
use prost::Message;
use prost_types::FileDescriptorSet;

/// The descriptor set could not be decoded.
#[derive(Debug)]
pub struct DescriptorError(prost::DecodeError);

impl fmt::Display for DescriptorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid FileDescriptorSet: {}", self.0)
    }
}

impl std::error::Error for DescriptorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Reads every method of every service in an encoded `FileDescriptorSet` (what
/// `tonic-build`'s `file_descriptor_set_path` writes, or `tonic-reflection` serves),
/// with its kind from the descriptor's streaming flags.
///
/// ```
/// use prost::Message;
/// use prost_types::{FileDescriptorProto, FileDescriptorSet, MethodDescriptorProto, ServiceDescriptorProto};
///
/// let set = FileDescriptorSet {
///     file: vec![FileDescriptorProto {
///         package: Some("demo".into()),
///         service: vec![ServiceDescriptorProto {
///             name: Some("Greeter".into()),
///             method: vec![MethodDescriptorProto {
///                 name: Some("Countdown".into()),
///                 server_streaming: Some(true),
///                 ..Default::default()
///             }],
///             ..Default::default()
///         }],
///         ..Default::default()
///     }],
/// };
/// let methods = prom_kit_tonic::methods_from_descriptor_set(&set.encode_to_vec())?;
/// assert_eq!(methods.resolve("/demo.Greeter/Countdown").kind(), "server_stream");
/// assert!(prom_kit_tonic::methods_from_descriptor_set(b"\xff\xff").is_err());
/// # Ok::<(), prom_kit_tonic::DescriptorError>(())
/// ```
pub fn methods_from_descriptor_set(encoded: &[u8]) -> Result<GrpcMethods, DescriptorError> {
    let set = FileDescriptorSet::decode(encoded).map_err(DescriptorError)?;
    let mut methods = GrpcMethods::new();
    for file in &set.file {
        let package = file.package();
        for service in &file.service {
            let full_name = if package.is_empty() {
                service.name().to_owned()
            } else {
                format!("{package}.{}", service.name())
            };
            for method in &service.method {
                let kind = GrpcType::new(method.client_streaming(), method.server_streaming());
                methods = methods.method(&full_name, method.name(), kind);
            }
        }
    }
    Ok(methods)
}
