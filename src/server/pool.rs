//! The bounded execution pool: at most `max_concurrent` executions run at once, at most
//! `max_queue` wait for a slot, and a waiter gives up after `queue_timeout`. A full queue
//! is refused at once (503 with Retry-After), so memory never grows without bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PoolError {
    #[error("server busy: {running} executions running and {waiting} waiting; retry later")]
    QueueFull { running: usize, waiting: usize },
    #[error("server busy: no execution slot became free within {0:?}; retry later")]
    QueueTimeout(Duration),
    #[error("the server is shutting down")]
    Closed,
}

pub struct Pool {
    slots: Arc<Semaphore>,
    max_concurrent: usize,
    max_queue: usize,
    queue_timeout: Duration,
    waiting: AtomicUsize,
}

/// A running slot; dropping it frees the slot.
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pool {
    pub fn new(max_concurrent: usize, max_queue: usize, queue_timeout: Duration) -> Pool {
        Pool {
            slots: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            max_queue,
            queue_timeout,
            waiting: AtomicUsize::new(0),
        }
    }

    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    pub fn running(&self) -> usize {
        self.max_concurrent - self.slots.available_permits()
    }

    /// A slot now, or after waiting in the bounded queue.
    pub async fn acquire(&self) -> Result<Slot, PoolError> {
        match self.slots.clone().try_acquire_owned() {
            Ok(permit) => return Ok(Slot { _permit: permit }),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(PoolError::Closed),
            Err(tokio::sync::TryAcquireError::NoPermits) => {}
        }
        let before = self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        if before >= self.max_queue {
            return Err(PoolError::QueueFull {
                running: self.running(),
                waiting: before,
            });
        }
        match tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot { _permit: permit }),
            Ok(Err(_)) => Err(PoolError::Closed),
            Err(_) => Err(PoolError::QueueTimeout(self.queue_timeout)),
        }
    }

    /// Refuses every later request (shutdown).
    pub fn close(&self) {
        self.slots.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_is_refused_at_once_and_slots_come_back() {
        let pool = Arc::new(Pool::new(1, 1, Duration::from_secs(5)));
        let first = pool.acquire().await.unwrap();
        assert_eq!(pool.running(), 1);
        let p = pool.clone();
        let queued = tokio::spawn(async move { p.acquire().await.map(|_| ()) });
        while pool.waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(
            pool.acquire().await,
            Err(PoolError::QueueFull {
                running: 1,
                waiting: 1
            })
        ));
        drop(first);
        assert_eq!(queued.await.unwrap(), Ok(()));
        assert_eq!(pool.waiting(), 0);
        assert_eq!(pool.running(), 0);
    }

    #[tokio::test]
    async fn a_waiter_gives_up_after_the_queue_timeout() {
        let pool = Pool::new(1, 4, Duration::from_millis(50));
        let _held = pool.acquire().await.unwrap();
        assert!(matches!(
            pool.acquire().await,
            Err(PoolError::QueueTimeout(_))
        ));
        pool.close();
        assert!(matches!(pool.acquire().await, Err(PoolError::Closed)));
    }
}
