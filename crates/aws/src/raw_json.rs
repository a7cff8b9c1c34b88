//! The API's own JSON through the SDK, for members too large to mirror as
//! Rust types.
//!
//! A QuickSight dashboard, analysis or template `Definition` reaches about
//! 650 structures of the model (1,065 shapes from
//! `DashboardVersionDefinition` and its siblings). Generating serde types and
//! SDK conversions for them, as twh does for the other kinds, would add
//! about four times today's QuickSight code (162 structures, 14,000
//! generated lines) to every cold build. QuickSight is a REST-JSON API, so
//! the body AWS reads *is* the definition's JSON. These two interceptors let
//! an operation keep everything the SDK does (endpoint, credentials, SigV4,
//! retries, error parsing) while the body goes out and comes back as JSON:
//!
//! - [`JsonBody`] replaces the serialized request body before it is signed,
//!   so the signature covers what is sent;
//! - [`CaptureBody`] keeps the response body as AWS sent it, so a
//!   `Describe*Definition` answer is read as JSON, not through the SDK's
//!   types.
//!
//! The typed builder is still called with the members the SDK needs for the
//! URL (account and resource ids); anything else it would serialize is
//! overwritten by the JSON body.

use std::sync::{Arc, Mutex};

use aws_sdk_quicksight::config::interceptors::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_sdk_quicksight::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_quicksight::error::BoxError;
use aws_smithy_types::body::SdkBody;

/// Sends `body` (JSON) as the request body of one operation.
#[derive(Debug, Clone)]
pub struct JsonBody(Arc<Vec<u8>>);

impl JsonBody {
    pub fn new(body: &serde_json::Value) -> Self {
        Self(Arc::new(
            serde_json::to_vec(body).expect("a JSON value serializes"),
        ))
    }
}

impl Intercept for JsonBody {
    fn name(&self) -> &'static str {
        "twh::JsonBody"
    }

    fn modify_before_signing(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = ctx.request_mut();
        *request.body_mut() = SdkBody::from(self.0.as_slice().to_vec());
        request
            .headers_mut()
            .insert("content-length", self.0.len().to_string());
        request
            .headers_mut()
            .insert("content-type", "application/json");
        Ok(())
    }
}

/// Keeps the response body of one operation, as AWS sent it.
#[derive(Debug, Clone, Default)]
pub struct CaptureBody(Arc<Mutex<Option<Vec<u8>>>>);

impl CaptureBody {
    /// The body as JSON, once the operation has answered.
    pub fn json(&self) -> Option<Result<serde_json::Value, serde_json::Error>> {
        let body = self.0.lock().unwrap_or_else(|e| e.into_inner());
        body.as_deref().map(serde_json::from_slice)
    }
}

impl Intercept for CaptureBody {
    fn name(&self) -> &'static str {
        "twh::CaptureBody"
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // A non-streaming answer has been read into memory by now, so
        // `bytes()` is the whole body.
        if let Some(response) = ctx.response() {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) =
                response.body().bytes().map(<[u8]>::to_vec);
        }
        Ok(())
    }
}
