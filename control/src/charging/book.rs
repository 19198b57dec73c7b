//! The durable ledger: every step of a [`Ledger`] committed to the [`Store`] before it
//! returns, so a restart resumes the open records exactly where the last committed step left
//! them.

use super::ledger::{ChargingError, Ledger, SubscriptionPlan, Usage};
use super::record::ChargingRecord;
use crate::store::charging::OpenChange;
use crate::store::{Store, StoreError};

/// Why a step failed.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    /// The usage or the plans were refused (nothing changed).
    #[error(transparent)]
    Charging(#[from] ChargingError),
    /// The store failed: the step is not committed and this book's memory is ahead of the
    /// store — drop it and [`Book::open`] again (the usage is to be recorded again).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A ledger with its store.
#[derive(Debug)]
pub struct Book {
    ledger: Ledger,
    store: Store,
}

impl Book {
    /// Resumes the ledger kept in `store` under `plans`.
    pub fn open(store: Store, plans: Vec<SubscriptionPlan>) -> Result<Self, BookError> {
        let (open, sequences) = store.charging_state()?;
        let ledger = Ledger::restore(plans, open, sequences)?;
        Ok(Book { ledger, store })
    }

    /// The ledger (read only: every change goes through the book).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The store.
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Records `u` and commits the step; returns the records it closed.
    pub fn record(&mut self, u: &Usage) -> Result<Vec<ChargingRecord>, BookError> {
        let closed = self.ledger.record(u)?;
        let change = match self.ledger.open_record_of(&u.subscription) {
            Some(r) => OpenChange::Set(r),
            None => OpenChange::Remove(&u.subscription),
        };
        self.store.commit_charging(&[change], &closed)?;
        Ok(closed)
    }

    /// Records every event of `events` and commits them as one step (one transaction: the
    /// group commit that makes a high event rate durable). Nothing is applied if any event
    /// names an unknown subscription or service.
    pub fn record_all(&mut self, events: &[Usage]) -> Result<Vec<ChargingRecord>, BookError> {
        for u in events {
            self.ledger.check(u)?;
        }
        let mut closed = Vec::new();
        let mut touched = std::collections::BTreeSet::new();
        for u in events {
            closed.extend(self.ledger.record(u)?);
            touched.insert(u.subscription.as_str());
        }
        let changes: Vec<OpenChange<'_>> = touched
            .into_iter()
            .map(|s| match self.ledger.open_record_of(s) {
                Some(r) => OpenChange::Set(r),
                None => OpenChange::Remove(s),
            })
            .collect();
        self.store.commit_charging(&changes, &closed)?;
        Ok(closed)
    }

    /// Closes the records whose time limit passed by `now_ms` and commits that.
    pub fn tick(&mut self, now_ms: u64) -> Result<Vec<ChargingRecord>, BookError> {
        let closed = self.ledger.tick(now_ms);
        if closed.is_empty() {
            return Ok(closed);
        }
        let changes: Vec<OpenChange<'_>> = closed
            .iter()
            .map(|r| match self.ledger.open_record_of(&r.subscription) {
                Some(open) => OpenChange::Set(open),
                None => OpenChange::Remove(&r.subscription),
            })
            .collect();
        self.store.commit_charging(&changes, &closed)?;
        Ok(closed)
    }
}
