//! The RADIUS attribute numbers the gateway uses, and subgate's own vendor-specific
//! attributes. The FreeRADIUS dictionary for them is shipped in the repository
//! (`aaa/freeradius/dictionary.subgate`); a test checks that file against [`subgate`].

/// Standard attribute types (RFC 2865, RFC 2869, RFC 3579, RFC 5997).
pub mod attr {
    /// User-Name (1): the M2M user id, or the EAP identity.
    pub const USER_NAME: u8 = 1;
    /// CHAP-Password (3): CHAP identifier + 16-byte response.
    pub const CHAP_PASSWORD: u8 = 3;
    /// NAS-IP-Address (4).
    pub const NAS_IP_ADDRESS: u8 = 4;
    /// Service-Type (6).
    pub const SERVICE_TYPE: u8 = 6;
    /// Framed-MTU (12): the largest EAP packet the link carries.
    pub const FRAMED_MTU: u8 = 12;
    /// Reply-Message (18): text the server explains itself with.
    pub const REPLY_MESSAGE: u8 = 18;
    /// State (24): echoed back in the next request of an EAP conversation.
    pub const STATE: u8 = 24;
    /// Vendor-Specific (26).
    pub const VENDOR_SPECIFIC: u8 = 26;
    /// Called-Station-Id (30): the gateway's BSSID.
    pub const CALLED_STATION_ID: u8 = 30;
    /// Calling-Station-Id (31): the terminal's MAC address.
    pub const CALLING_STATION_ID: u8 = 31;
    /// NAS-Identifier (32): the gateway's name.
    pub const NAS_IDENTIFIER: u8 = 32;
    /// CHAP-Challenge (60).
    pub const CHAP_CHALLENGE: u8 = 60;
    /// NAS-Port-Type (61).
    pub const NAS_PORT_TYPE: u8 = 61;
    /// EAP-Message (79).
    pub const EAP_MESSAGE: u8 = 79;
    /// Message-Authenticator (80): HMAC-MD5 over the packet.
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
}

/// Microsoft's vendor attributes carrying the EAP keys (RFC 2548).
pub mod ms {
    /// Microsoft's private enterprise number.
    pub const VENDOR: u32 = 311;
    /// MS-MPPE-Send-Key: MSK bytes 32..64.
    pub const MPPE_SEND_KEY: u8 = 16;
    /// MS-MPPE-Recv-Key: MSK bytes 0..32.
    pub const MPPE_RECV_KEY: u8 = 17;
}

/// subgate's vendor-specific attributes (vendor 32473, the private enterprise number RFC
/// 5612 sets aside for documentation and examples; an operator deploying subgate replaces it
/// in both the dictionary and `[aaa] vendor`). All values are text, so a FreeRADIUS `users`
/// file stays readable.
pub mod subgate {
    /// The vendor id.
    pub const VENDOR: u32 = 32473;
    /// The M2M terminal id, `02:00:00:00:10:01` (request).
    pub const TERMINAL_ID: u8 = 1;
    /// The M2M user id, `acme-water` (request).
    pub const M2M_USER: u8 = 2;
    /// A service type the terminal asked for, `metering` (request; one per SID).
    pub const SERVICE_TYPE: u8 = 3;
    /// The M2M server id in SID text form, `server:10.0.0.7` (request: asked for; accept:
    /// the server the AAA server found).
    pub const SERVER_ID: u8 = 4;
    /// Report period in seconds (accept).
    pub const REPORT_PERIOD: u8 = 5;
    /// Data format code (accept; the service information's data format).
    pub const DATA_FORMAT: u8 = 6;
    /// Data amount per report in bytes (accept).
    pub const DATA_AMOUNT: u8 = 7;
    /// The M2M-server path's known plaintext (terminal, nonce, counter), 32 hex digits
    /// (request, when the gateway asks the AAA server to check an AES proof).
    pub const PROOF_PLAINTEXT: u8 = 8;
    /// The M2M-server path's proof `AES(PSK, plaintext)`, 32 hex digits (request).
    pub const AES_PROOF: u8 = 9;

    /// `(name, number, type)` of every attribute, as the dictionary file declares them.
    pub const ALL: [(&str, u8, &str); 9] = [
        ("Subgate-Terminal-Id", TERMINAL_ID, "string"),
        ("Subgate-M2M-User", M2M_USER, "string"),
        ("Subgate-Service-Type", SERVICE_TYPE, "string"),
        ("Subgate-Server-Id", SERVER_ID, "string"),
        ("Subgate-Report-Period", REPORT_PERIOD, "integer"),
        ("Subgate-Data-Format", DATA_FORMAT, "integer"),
        ("Subgate-Data-Amount", DATA_AMOUNT, "integer"),
        ("Subgate-Proof-Plaintext", PROOF_PLAINTEXT, "string"),
        ("Subgate-Aes-Proof", AES_PROOF, "string"),
    ];
}

#[cfg(test)]
mod tests {
    use super::subgate;

    /// The shipped FreeRADIUS dictionary declares exactly the attributes this module uses.
    #[test]
    fn shipped_dictionary_matches() {
        let text = include_str!("../../../aaa/freeradius/dictionary.subgate");
        let mut vendor = None;
        let mut found = Vec::new();
        for line in text.lines().map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["VENDOR", "Subgate", id, ..] => vendor = id.parse::<u32>().ok(),
                ["ATTRIBUTE", name, num, kind, ..] => found.push((
                    name.to_string(),
                    num.parse::<u8>().unwrap(),
                    kind.to_string(),
                )),
                _ => {}
            }
        }
        assert_eq!(vendor, Some(subgate::VENDOR));
        let want: Vec<(String, u8, String)> = subgate::ALL
            .iter()
            .map(|(n, k, t)| (n.to_string(), *k, t.to_string()))
            .collect();
        assert_eq!(found, want);
    }
}
