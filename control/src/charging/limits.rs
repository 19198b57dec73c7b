//! Publish limits: per service and per subscription, by volume (per class) and by time, and
//! the operator's charging profiles that fill them in.

use super::usage::Class;
use serde::{Deserialize, Serialize};

/// Volume limits per class, bytes (`None`: no limit in that class).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeLimits {
    /// Uplink, non-roaming.
    pub ul_home: Option<u64>,
    /// Downlink, non-roaming.
    pub dl_home: Option<u64>,
    /// Uplink, roaming.
    pub ul_roaming: Option<u64>,
    /// Downlink, roaming.
    pub dl_roaming: Option<u64>,
}

impl VolumeLimits {
    /// The same limit in every class.
    pub fn all(bytes: u64) -> Self {
        VolumeLimits {
            ul_home: Some(bytes),
            dl_home: Some(bytes),
            ul_roaming: Some(bytes),
            dl_roaming: Some(bytes),
        }
    }

    /// The limit of `class`.
    pub fn get(&self, class: Class) -> Option<u64> {
        match class.index() {
            0 => self.ul_home,
            1 => self.dl_home,
            2 => self.ul_roaming,
            _ => self.dl_roaming,
        }
    }

    fn set(&mut self, class: Class, v: Option<u64>) {
        match class.index() {
            0 => self.ul_home = v,
            1 => self.dl_home = v,
            2 => self.ul_roaming = v,
            _ => self.dl_roaming = v,
        }
    }
}

/// When a record is published: a volume limit per class reached, or its time limit
/// (seconds since the record opened) reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Volume limits.
    pub volume: VolumeLimits,
    /// Time limit, seconds (`None`: none).
    pub time_s: Option<u64>,
}

/// Why a set of limits cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    /// A limit of 0 would close every record before it holds a byte.
    #[error("{what}: a limit of 0 would publish empty records; leave the limit out for none")]
    Zero {
        /// Which limit.
        what: String,
    },
    /// The subscription formula's factor must be at least 1.
    #[error("factor {0} must be at least 1")]
    Factor(u64),
    /// A profile number outside 1..=16.
    #[error("charging profile {0} does not exist: profiles are M2M_CC_1 to M2M_CC_16")]
    Profile(u8),
}

impl Limits {
    /// Refuses zero limits (`what` names the owner in the error).
    pub fn validate(&self, what: &str) -> Result<(), LimitError> {
        for c in Class::ALL {
            if self.volume.get(c) == Some(0) {
                return Err(LimitError::Zero {
                    what: format!("{what} volume limit {}", c.name()),
                });
            }
        }
        if self.time_s == Some(0) {
            return Err(LimitError::Zero {
                what: format!("{what} time limit"),
            });
        }
        Ok(())
    }
}

/// The subscription's limits from its services': per class,
/// `subscription volume limit = Σ service volume limits + number of services × factor`
/// (no limit in a class where a service has none), `factor ≥ 1`; the subscription's time
/// limit is the shortest of the services'.
pub fn subscription_limits(services: &[Limits], factor: u64) -> Result<Limits, LimitError> {
    if factor < 1 {
        return Err(LimitError::Factor(factor));
    }
    let n = services.len() as u64;
    let mut volume = VolumeLimits::default();
    for c in Class::ALL {
        let sum = services
            .iter()
            .map(|s| s.volume.get(c))
            .try_fold(0u64, |acc, l| l.map(|l| acc.saturating_add(l)));
        volume.set(c, sum.map(|s| s.saturating_add(n.saturating_mul(factor))));
    }
    let time_s = services.iter().filter_map(|s| s.time_s).min();
    Ok(Limits { volume, time_s })
}

/// One of the operator's 16 charging profiles, M2M_CC_1 … M2M_CC_16: a data-volume class
/// (columns: low, low-medium, medium-high, high) by a reporting-frequency class (rows, same
/// names); `M2M_CC_n` with `n = 4 · frequency + volume + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Profile {
    /// Volume class, 0 (low) to 3 (high).
    pub volume: u8,
    /// Reporting-frequency class, 0 (low) to 3 (high).
    pub frequency: u8,
}

impl Profile {
    /// `M2M_CC_n`, n in 1..=16.
    pub fn from_number(n: u8) -> Result<Profile, LimitError> {
        if !(1..=16).contains(&n) {
            return Err(LimitError::Profile(n));
        }
        Ok(Profile {
            volume: (n - 1) % 4,
            frequency: (n - 1) / 4,
        })
    }

    /// Its number n of `M2M_CC_n`.
    pub fn number(self) -> u8 {
        4 * self.frequency + self.volume + 1
    }
}

/// The operator's profile table: per volume class the per-service volume limits, per
/// frequency class the per-service time limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileTable {
    /// Per-service volume limits of the volume classes low … high.
    pub volume_classes: [VolumeLimits; 4],
    /// Per-service time limits of the frequency classes low … high, seconds. Terminals
    /// that report often fill records by volume; the time limit bounds how long a quiet
    /// service's bytes wait unpublished.
    pub time_classes_s: [u64; 4],
}

impl Default for ProfileTable {
    /// Volume classes of 16 KiB, 128 KiB, 1 MiB and 8 MiB per class; time limits of 24, 6,
    /// 1 and ¼ hours.
    fn default() -> Self {
        ProfileTable {
            volume_classes: [
                VolumeLimits::all(16 << 10),
                VolumeLimits::all(128 << 10),
                VolumeLimits::all(1 << 20),
                VolumeLimits::all(8 << 20),
            ],
            time_classes_s: [24 * 3600, 6 * 3600, 3600, 900],
        }
    }
}

impl ProfileTable {
    /// The per-service limits a profile fills in.
    pub fn limits(&self, p: Profile) -> Limits {
        Limits {
            volume: self.volume_classes[(p.volume & 3) as usize],
            time_s: Some(self.time_classes_s[(p.frequency & 3) as usize]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subscription_formula_on_a_worked_example() {
        // two services: 1000 and 3000 bytes uplink non-roaming, factor 10
        let a = Limits {
            volume: VolumeLimits {
                ul_home: Some(1000),
                dl_home: Some(200),
                ul_roaming: None,
                dl_roaming: Some(50),
            },
            time_s: Some(3600),
        };
        let b = Limits {
            volume: VolumeLimits {
                ul_home: Some(3000),
                dl_home: Some(400),
                ul_roaming: Some(70),
                dl_roaming: Some(60),
            },
            time_s: Some(600),
        };
        let s = subscription_limits(&[a, b], 10).unwrap();
        assert_eq!(s.volume.ul_home, Some(1000 + 3000 + 2 * 10));
        assert_eq!(s.volume.dl_home, Some(620));
        assert_eq!(
            s.volume.ul_roaming, None,
            "a service without a limit leaves none"
        );
        assert_eq!(s.volume.dl_roaming, Some(130));
        assert_eq!(s.time_s, Some(600));
        assert_eq!(subscription_limits(&[a], 0), Err(LimitError::Factor(0)));
    }

    #[test]
    fn profiles_number_the_matrix_row_by_row() {
        for n in 1..=16u8 {
            let p = Profile::from_number(n).unwrap();
            assert_eq!(p.number(), n);
        }
        assert_eq!(
            Profile::from_number(1).unwrap(),
            Profile {
                volume: 0,
                frequency: 0
            }
        );
        assert_eq!(
            Profile::from_number(8).unwrap(),
            Profile {
                volume: 3,
                frequency: 1
            }
        );
        assert_eq!(
            Profile::from_number(13).unwrap(),
            Profile {
                volume: 0,
                frequency: 3
            }
        );
        assert!(Profile::from_number(0).is_err() && Profile::from_number(17).is_err());
        let t = ProfileTable::default();
        let l = t.limits(Profile::from_number(16).unwrap());
        assert_eq!((l.volume.ul_home, l.time_s), (Some(8 << 20), Some(900)));
        let zero = Limits {
            volume: VolumeLimits::all(0),
            time_s: None,
        };
        assert!(zero.validate("x").is_err());
    }
}
