//! Value types and helpers shared by the daemons' config tables: checks raised while a value
//! or table is read, so that toml reports them at `file:line:col`.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Unexpected, Visitor};
use serde::{Deserialize, Deserializer};

/// An integer from `MIN` to `MAX`; anything else is an error naming the range at the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ranged<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Ranged<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RangeVisitor<const MIN: u64, const MAX: u64>;
        impl<const MIN: u64, const MAX: u64> Visitor<'_> for RangeVisitor<MIN, MAX> {
            type Value = Ranged<MIN, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an integer from {MIN} to {MAX}")
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                match u64::try_from(value) {
                    Ok(value) => self.visit_u64(value),
                    Err(_) => Err(E::invalid_value(Unexpected::Signed(value), &self)),
                }
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                if (MIN..=MAX).contains(&value) {
                    Ok(Ranged(value))
                } else {
                    Err(E::invalid_value(Unexpected::Unsigned(value), &self))
                }
            }
        }
        deserializer.deserialize_u64(RangeVisitor::<MIN, MAX>)
    }
}

/// Deserializes the table `name` as `R` (a `deny_unknown_fields` struct whose keys are
/// `fields`) and runs `check` on it, so that checks involving several keys are reported at the
/// table's position (toml locates errors raised while a table is being read).
pub fn checked_table<'de, D, R, T, F>(
    deserializer: D,
    name: &'static str,
    fields: &'static [&'static str],
    check: F,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    R: Deserialize<'de>,
    F: FnOnce(R) -> Result<T, String>,
{
    struct TableVisitor<R, F> {
        name: &'static str,
        check: F,
        raw: PhantomData<R>,
    }
    impl<'de, R, T, F> Visitor<'de> for TableVisitor<R, F>
    where
        R: Deserialize<'de>,
        F: FnOnce(R) -> Result<T, String>,
    {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a table ({})", self.name)
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            let raw = R::deserialize(MapAccessDeserializer::new(map))?;
            (self.check)(raw).map_err(de::Error::custom)
        }
    }
    deserializer.deserialize_struct(
        name,
        fields,
        TableVisitor {
            name,
            check,
            raw: PhantomData,
        },
    )
}

/// A signed integer from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangedSigned<const MIN: i64, const MAX: i64>(pub i64);

impl<'de, const MIN: i64, const MAX: i64> Deserialize<'de> for RangedSigned<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RangeVisitor<const MIN: i64, const MAX: i64>;
        impl<const MIN: i64, const MAX: i64> Visitor<'_> for RangeVisitor<MIN, MAX> {
            type Value = RangedSigned<MIN, MAX>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an integer from {MIN} to {MAX}")
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                match i64::try_from(value) {
                    Ok(value) => self.visit_i64(value),
                    Err(_) => Err(E::invalid_value(Unexpected::Unsigned(value), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                if (MIN..=MAX).contains(&value) {
                    Ok(RangedSigned(value))
                } else {
                    Err(E::invalid_value(Unexpected::Signed(value), &self))
                }
            }
        }
        deserializer.deserialize_i64(RangeVisitor::<MIN, MAX>)
    }
}

/// Longest interface name Linux accepts (IFNAMSIZ - 1).
pub const MAX_IFNAME: usize = 15;

/// Checks a Linux interface name: 1 to 15 characters, no `/`, space or tab, not `.` or `..`.
pub fn check_interface_name(name: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > MAX_IFNAME
        || name.contains(['/', ' ', '\t', '\0'])
        || name == "."
        || name == ".."
    {
        return Err(format!(
            "`{name}` is not a Linux interface name (1 to {MAX_IFNAME} characters, no `/` or spaces)"
        ));
    }
    Ok(())
}

/// An interface name, checked where it stands ([`check_interface_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceName(pub String);

impl<'de> Deserialize<'de> for InterfaceName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        check_interface_name(&name).map_err(de::Error::custom)?;
        Ok(InterfaceName(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        small: Option<Ranged<1, 10>>,
        weight: Option<RangedSigned<-254, 254>>,
    }

    fn parse(text: &str) -> Result<Sample, String> {
        toml::from_str::<Sample>(text).map_err(|error| error.to_string())
    }

    #[test]
    fn interface_names_are_linux_ones() {
        assert!(check_interface_name("eth1").is_ok());
        assert!(check_interface_name("vrrp.30").is_ok());
        for bad in ["", "a/b", "a b", ".", "..", "sixteen-chars-xx"] {
            assert!(check_interface_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ranges_are_checked_at_the_value() {
        assert_eq!(parse("small = 10").map(|s| s.small), Ok(Some(Ranged(10))));
        assert!(parse("small = 11").unwrap_err().contains("an integer from 1 to 10"));
        assert!(parse("small = -1").unwrap_err().contains("an integer from 1 to 10"));
        assert_eq!(parse("weight = -254").map(|s| s.weight), Ok(Some(RangedSigned(-254))));
        assert!(
            parse("weight = 255")
                .unwrap_err()
                .contains("an integer from -254 to 254")
        );
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct RawPair {
        low: u32,
        high: u32,
    }

    #[derive(Debug)]
    struct Pair;

    impl<'de> Deserialize<'de> for Pair {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            checked_table(deserializer, "pair", &["low", "high"], |raw: RawPair| {
                if raw.low <= raw.high {
                    Ok(Pair)
                } else {
                    Err("low must not exceed high".into())
                }
            })
        }
    }

    #[test]
    fn table_checks_are_reported() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            pair: Pair,
        }
        assert!(toml::from_str::<Outer>("[pair]\nlow = 1\nhigh = 2\n").is_ok());
        let error = toml::from_str::<Outer>("[pair]\nlow = 3\nhigh = 2\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("low must not exceed high"), "{error}");
        assert!(error.contains("line 1"), "{error}");
    }
}
