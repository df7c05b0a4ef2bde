namespace Autonomy.Tests.Support;

/// <summary>
/// The ledger checkpoint key pair of cluster-mode tests: silos sign with the private key, gateways verify with the
/// public one, as the configuration must be. A test key, generated for these tests and used nowhere else.
/// </summary>
public static class TestCheckpointKeys
{
    /// <summary>A P-256 private key, base64 PKCS#8 (<c>Autonomy:Ledger:CheckpointSigningKey</c>).</summary>
    public const string SigningKey =
        "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgpFsh58Vrsqlx4Yakpdjr6RQd5tMGBEERmlIpxt7wvfihRANCAAQUTNncc18Se0HjqfhLuNH3yhWKeGhb2SNY+78Z7UMo8CSzcy6j/JYAYxi2t/gpkIDx+gEbMUPpdOkdkaA6SfCu";

    /// <summary>Its public key, base64 SubjectPublicKeyInfo (<c>Autonomy:Ledger:CheckpointPublicKeys</c>, <c>verify-export --key</c>).</summary>
    public const string PublicKey =
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEFEzZ3HNfEntB46n4S7jR98oVinhoW9kjWPu/Ge1DKPAks3Muo/yWAGMYtrf4KZCA8foBGzFD6XTpHZGgOknwrg==";
}
