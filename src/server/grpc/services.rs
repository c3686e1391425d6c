//! The gRPC services: each call is lowered by [`super::wire`] and runs through the HTTP
//! routes' own admission and execution ([`admit_exec`], [`run_admitted_cancellable`],
//! [`judge_request`]), so nothing about a run differs by protocol.
//!
//! A run is its own task: a client that goes away (its deadline passed, it cancelled the
//! call or the stream) drops the call's future or stream, whose [`CancelOnDrop`] kills the
//! sandbox; the task still audits, counts and records the (IE) run, and frees its slot.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use super::wire::{self, executor, v1};
use super::Grpc;
use crate::jail::{RunCancel, Stream as Output};
use crate::plan::ExecRequest;
use crate::server::routes::execute::{admit_exec, run_admitted_cancellable};
use crate::server::routes::judge::judge_request;
use crate::server::wire::ExecuteResponse;

const EXECUTE: &str = "/localeval.v1.Sandbox/Execute";
const EXECUTE_STREAM: &str = "/localeval.v1.Sandbox/ExecuteStream";
const JUDGE: &str = "/localeval.v1.Sandbox/Judge";
const SEED_EXECUTE: &str = "/executor.CodeExecutor/Execute";

/// Cancels its run when dropped (a finished run ignores it).
struct CancelOnDrop(Arc<RunCancel>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn client_of<T>(request: &Request<T>) -> String {
    request
        .remote_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

fn invalid(e: impl std::fmt::Display) -> Status {
    Status::invalid_argument(e.to_string())
}

impl Grpc {
    /// Admits and runs one execution to its response (a unary call).
    async fn run(
        &self,
        exec: ExecRequest,
        endpoint: &'static str,
        client: String,
    ) -> Result<ExecuteResponse, Status> {
        let admitted = admit_exec(&self.state, exec)
            .await
            .map_err(|e| self.status(e))?;
        let cancel = Arc::new(RunCancel::default());
        let _cancel_on_drop = CancelOnDrop(cancel.clone());
        let state = self.state.clone();
        tokio::spawn(async move {
            run_admitted_cancellable(&state, admitted, endpoint, &client, None, cancel).await
        })
        .await
        .map_err(|e| Status::internal(format!("the execution task failed: {e}")))?
        .map_err(|e| self.status(e))
    }
}

pub struct SandboxService(pub Arc<Grpc>);

type EventStream = Pin<Box<dyn Stream<Item = Result<v1::ExecuteEvent, Status>> + Send>>;

#[tonic::async_trait]
impl v1::sandbox_server::Sandbox for SandboxService {
    async fn execute(
        &self,
        request: Request<v1::ExecuteRequest>,
    ) -> Result<Response<v1::ExecuteResponse>, Status> {
        let client = client_of(&request);
        let exec = wire::exec_request(request.into_inner()).map_err(invalid)?;
        let response = self.0.run(exec, EXECUTE, client).await?;
        Ok(Response::new(wire::execute_response(response)))
    }

    type ExecuteStreamStream = EventStream;

    async fn execute_stream(
        &self,
        request: Request<v1::ExecuteRequest>,
    ) -> Result<Response<EventStream>, Status> {
        let grpc = &self.0;
        let client = client_of(&request);
        let exec = wire::exec_request(request.into_inner()).map_err(invalid)?;
        // Refusals (bad request, rate limit, full queue) come before the stream starts.
        let admitted = admit_exec(&grpc.state, exec)
            .await
            .map_err(|e| grpc.status(e))?;
        let (chunks_tx, chunks_rx) = tokio::sync::mpsc::unbounded_channel();
        let cancel = Arc::new(RunCancel::default());
        let state = grpc.state.clone();
        let run_cancel = cancel.clone();
        let run = tokio::spawn(async move {
            run_admitted_cancellable(
                &state,
                admitted,
                EXECUTE_STREAM,
                &client,
                Some(chunks_tx),
                run_cancel,
            )
            .await
        });
        let chunks = tokio_stream::wrappers::UnboundedReceiverStream::new(chunks_rx).map(
            |(stream, data)| {
                let event = match stream {
                    Output::Stdout => v1::execute_event::Event::Stdout(data),
                    Output::Stderr => v1::execute_event::Event::Stderr(data),
                };
                Ok(v1::ExecuteEvent { event: Some(event) })
            },
        );
        // The chunk channel closes when the run has ended, so the result comes last. The
        // guard lives in the stream: a client that cancels drops it, and the sandbox dies.
        let grpc = grpc.clone();
        let cancel_on_drop = CancelOnDrop(cancel);
        let result = futures_util::stream::once(async move {
            let _cancel_on_drop = cancel_on_drop;
            match run.await {
                Ok(Ok(response)) => Ok(v1::ExecuteEvent {
                    event: Some(v1::execute_event::Event::Result(wire::execute_response(
                        response,
                    ))),
                }),
                Ok(Err(e)) => Err(grpc.status(e)),
                Err(e) => Err(Status::internal(format!("the execution task failed: {e}"))),
            }
        });
        Ok(Response::new(Box::pin(chunks.chain(result))))
    }

    async fn judge(
        &self,
        request: Request<v1::JudgeRequest>,
    ) -> Result<Response<v1::JudgeResponse>, Status> {
        let grpc = &self.0;
        let client = client_of(&request);
        let judge = wire::judge_request(request.into_inner()).map_err(invalid)?;
        let cancel = Arc::new(RunCancel::default());
        let _cancel_on_drop = CancelOnDrop(cancel.clone());
        let state = grpc.state.clone();
        let response =
            tokio::spawn(async move { judge_request(&state, judge, &client, JUDGE, cancel).await })
                .await
                .map_err(|e| Status::internal(format!("the judge task failed: {e}")))?
                .map_err(|e| grpc.status(e))?;
        Ok(Response::new(wire::judge_response(response)))
    }
}

pub struct CodeExecutorService(pub Arc<Grpc>);

#[tonic::async_trait]
impl executor::code_executor_server::CodeExecutor for CodeExecutorService {
    async fn execute(
        &self,
        request: Request<executor::ExecuteRequest>,
    ) -> Result<Response<executor::ExecuteResponse>, Status> {
        let client = client_of(&request);
        let exec = wire::seed_request(request.into_inner())
            .to_exec_request()
            .map_err(invalid)?;
        let response = self.0.run(exec, SEED_EXECUTE, client).await?;
        Ok(Response::new(wire::seed_response(response)))
    }

    async fn health(
        &self,
        _request: Request<executor::HealthRequest>,
    ) -> Result<Response<executor::HealthResponse>, Status> {
        let state = &self.0.state;
        let status = if self.0.stopping() {
            "shutting_down"
        } else {
            "healthy"
        };
        Ok(Response::new(executor::HealthResponse {
            status: status.to_string(),
            version: crate::VERSION.to_string(),
            languages: state
                .policy
                .catalog
                .languages()
                .map(|l| l.name.clone())
                .collect(),
        }))
    }
}
