//! Compiles proto/ into the gRPC server code (`src/server/grpc`), with protox, a protobuf
//! compiler in Rust: building needs no `protoc` on the machine. The encoded descriptor set
//! is kept for server reflection.

use std::path::PathBuf;

const PROTOS: [&str; 2] = ["proto/executor.proto", "proto/localeval/v1/localeval.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out.join("descriptors.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
