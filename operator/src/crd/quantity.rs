//! Kubernetes quantities (`16Mi`, `1G`, `500k`) as byte counts, for limits Sluice enforces
//! itself (a policy's memory, a Connect's plugin storage).

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The number of bytes `q` stands for; `None` for a quantity that is not a whole byte count
/// (a fraction, a milli suffix, a negative or unparsable value).
pub fn quantity_bytes(q: &Quantity) -> Option<u64> {
    let text = q.0.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    let number: u64 = digits.parse().ok()?;
    let factor: u64 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_decimal_suffixes() {
        let q = |s: &str| quantity_bytes(&Quantity(s.into()));
        assert_eq!(q("16Mi"), Some(16 << 20));
        assert_eq!(q("1G"), Some(1_000_000_000));
        assert_eq!(q("512"), Some(512));
        assert_eq!(q("2Gi"), Some(2 << 30));
        assert_eq!(q("1.5Gi"), None);
        assert_eq!(q("100m"), None);
        assert_eq!(q("-1"), None);
        assert_eq!(q("99999999999Ti"), None);
    }
}
