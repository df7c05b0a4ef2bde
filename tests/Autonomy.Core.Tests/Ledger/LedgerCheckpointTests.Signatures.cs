using System.Security.Cryptography;
using System.Text;
using Autonomy.Ledger;
using CsCheck;

namespace Autonomy.Tests.Ledger;

/// <summary>P-256 checkpoint signatures, the rule against HMAC checkpoints once keys are public, and the age limit for uncovered entries.</summary>
public sealed partial class LedgerCheckpointTests
{
    private static readonly LedgerCheckpointEcdsaKey P1 = LedgerCheckpointEcdsaKey.Generate();
    private static readonly LedgerCheckpointEcdsaKey P2 = LedgerCheckpointEcdsaKey.Generate();

    /// <summary>What a gateway or an auditor holds: P1's public half, nothing that signs.</summary>
    private static readonly LedgerCheckpointKeyring PublicRing = LedgerCheckpointKeyring.Parse(P1.PublicKeyPem());

    // --- P-256 signatures ---

    [Fact]
    public void AnyByteChangedInTheCanonicalContentFailsTheSignature() =>
        Gen.Select(DistinctHeads, Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]).Sample((heads, at, flip) =>
        {
            var checkpoint = LedgerCheckpoints.Create("t1", 3, Start, heads, heads.Length, LedgerCheckpoints.MerkleRoot(heads), LedgerHash.Genesis, P1);
            var bytes = LedgerCheckpoints.CanonicalBytes(checkpoint);
            var verifier = PublicRing.Find(P1.Id)!;
            Assert.True(verifier.Verify(bytes, checkpoint.Signature));

            var changed = bytes.ToArray();
            changed[at % changed.Length] ^= flip;
            Assert.False(verifier.Verify(changed, checkpoint.Signature));
        });

    [Fact]
    public void ASignatureByAnotherKeyFails() =>
        Gen.Select(DistinctHeads, Gen.Int[1, 1000]).Sample((heads, seq) =>
        {
            var mine = LedgerCheckpoints.Create("t1", seq, Start, heads, heads.Length, LedgerCheckpoints.MerkleRoot(heads), LedgerHash.Genesis, P1);
            var bytes = LedgerCheckpoints.CanonicalBytes(mine);
            var theirs = P2.Sign(bytes);

            Assert.False(P1.PublicOnly().Verify(bytes, theirs));
            Assert.False(P2.Verify(bytes, mine.Signature));
            Assert.True(P2.Verify(bytes, theirs));
            // Nor does a signature in another spelling, or another algorithm's, under this key.
            Assert.False(P1.Verify(bytes, mine.Signature.TrimEnd('=')));
            Assert.False(P1.Verify(bytes, K1.Sign(bytes)));
        });

    [Fact]
    public void ANewCheckpointIsSignedWithP256InBase64AndItsExportLineSaysSo()
    {
        var checkpoint = LedgerCheckpoints.Create("t1", 1, Start, [], 0, LedgerCheckpoints.EmptyRoot, LedgerHash.Genesis, P1);

        Assert.Equal((P1.Id, LedgerCheckpointAlgorithms.EcdsaP256), (checkpoint.KeyId, checkpoint.Algorithm));
        Assert.Equal(64, Convert.FromBase64String(checkpoint.Signature).Length);
        var line = Line(checkpoint);
        Assert.Contains("\"alg\":\"ES256\"", line, StringComparison.Ordinal);
        using var parsed = System.Text.Json.JsonDocument.Parse(line);
        var read = LedgerCheckpointJson.ReadLine(parsed.RootElement);
        Assert.Equal((checkpoint.KeyId, checkpoint.Hash, checkpoint.Signature), (read.KeyId, read.Hash, read.Signature));

        // An old HMAC checkpoint's line says HS256; a line whose alg contradicts its signature is refused.
        Assert.Contains("\"alg\":\"HS256\"", Line(checkpoint with { Signature = K1.Sign(LedgerCheckpoints.CanonicalBytes(checkpoint)) }), StringComparison.Ordinal);
        using var lying = System.Text.Json.JsonDocument.Parse(line.Replace("ES256", "HS256", StringComparison.Ordinal));
        Assert.Throws<FormatException>(() => LedgerCheckpointJson.ReadLine(lying.RootElement));
    }

    [Fact]
    public void AP256KeyIsReadFromPemOrBase64AndItsIdIsItsFingerprint()
    {
        var spki = P1.SubjectPublicKeyInfo.ToArray();
        var id = "p256-" + Convert.ToHexStringLower(SHA256.HashData(spki))[..16];

        Assert.Equal(id, P1.Id);
        Assert.Equal(id, LedgerCheckpointKeyring.Parse(Convert.ToBase64String(spki)).Ids.Single());
        Assert.Equal(id, LedgerCheckpointKeyring.Parse("# a comment\n" + P1.PublicKeyPem() + "\n# another\n").Ids.Single());

        // A private key file makes a ring that signs; the last private key is current.
        var both = LedgerCheckpointKeyring.Parse(P2.PrivateKeyPem() + "\n" + P1.PrivateKeyPem());
        Assert.Equal(P1.Id, both.SigningKey.Id);
        Assert.Equal(P2.Id, LedgerCheckpointKeyring.Parse(P2.PrivateKeyPem() + "\n" + P1.PrivateKeyPem(), P2.Id).SigningKey.Id);
        Assert.Null(PublicRing.Current);
        Assert.Throws<InvalidOperationException>(() => PublicRing.Find(P1.Id)!.Sign([1, 2, 3]));
        Assert.Contains("public key", Assert.Throws<ArgumentException>(() => LedgerCheckpointKeyring.Parse(P1.PublicKeyPem(), P1.Id)).Message, StringComparison.Ordinal);

        // A public key given as an HMAC secret would let anyone sign under that id: refused.
        Assert.Throws<FormatException>(() => LedgerCheckpointKeyring.Parse("k9=" + Convert.ToBase64String(spki)));
        // Another curve, another key type, and garbage are not checkpoint keys.
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<FormatException>(() => LedgerCheckpointKeyring.Parse(Convert.ToBase64String(p384.ExportSubjectPublicKeyInfo())));
        using var rsa = RSA.Create(2048);
        Assert.Throws<FormatException>(() => LedgerCheckpointKeyring.Parse(rsa.ExportSubjectPublicKeyInfoPem()));
        Assert.Throws<FormatException>(() => LedgerCheckpointKeyring.Parse(new string('A', 120)));
        Assert.DoesNotContain(Convert.ToBase64String(spki), P1.ToString(), StringComparison.Ordinal);
    }

    // --- HMAC checkpoints once the keys are public ---

    [Fact]
    public async Task AForgedHmacCheckpointIsRefusedOnceTheVerifierHoldsOnlyPublicKeys()
    {
        var tenant = Build((2, [[2, 1]]), P1);
        Assert.True((await tenant.VerifyAsync(PublicRing)).Ok);
        tenant.Append("account/t1/a0", 1);

        // Whoever kept the old shared secret signs the next checkpoint with it, under its old id or the public key's.
        var underOldId = Build((2, [[2, 1]]), P1);
        underOldId.Append("account/t1/a0", 1);
        var forged = underOldId.Checkpoint(K1);
        var result = await underOldId.VerifyAsync(PublicRing);
        Assert.Equal((false, LedgerVerifier.CheckpointKeyUnknown, forged.CheckpointId, 1L), (result.Ok, result.Problem, result.FirstBrokenEntryId, result.Checkpoints));

        var underPublicId = tenant.Checkpoint(K1, claimedId: P1.Id);
        var claimed = await tenant.VerifyAsync(PublicRing);
        Assert.Equal((false, LedgerVerifier.CheckpointSignatureInvalid, underPublicId.CheckpointId), (claimed.Ok, claimed.Problem, claimed.FirstBrokenEntryId));
    }

    [Fact]
    public async Task OldHmacCheckpointsVerifyWithTheirKeyButNoneIsAcceptedAfterTheFirstP256One()
    {
        var legacyAndPublic = new LedgerCheckpointKeyring([K1, P1.PublicOnly()]);
        var tenant = Build((1, [[2], [1]]));
        Assert.True((await tenant.VerifyAsync(new LedgerCheckpointKeyring([K1]))).Ok);

        // The upgrade: the chain goes on under the private key, and both halves verify.
        tenant.Append("account/t1/a0", 1);
        tenant.Checkpoint(P1);
        var upgraded = await tenant.VerifyAsync(legacyAndPublic);
        Assert.Equal((true, 3L), (upgraded.Ok, upgraded.Checkpoints));
        Assert.Equal(LedgerVerifier.CheckpointKeyUnknown, (await tenant.VerifyAsync(PublicRing)).Problem);

        // A holder of the old secret appends an HMAC checkpoint: a valid HMAC, refused as a downgrade.
        tenant.Append("account/t1/a0", 1);
        var forged = tenant.Checkpoint(K1);
        Assert.True(LedgerCheckpoints.HasValidSignature(forged, K1));
        var result = await tenant.VerifyAsync(legacyAndPublic);
        Assert.Equal((false, LedgerVerifier.CheckpointSignatureDowngraded, forged.CheckpointId, 3L), (result.Ok, result.Problem, result.FirstBrokenEntryId, result.Checkpoints));
    }

    // --- entries no checkpoint covers ---

    [Fact]
    public Task AnUncoveredEntryOlderThanTheLimitFailsVerifyAndAYoungerOneIsNotYetCheckpointed() =>
        Gen.Select(History, Gen.Int[1, 3], Gen.Int[0, 600], Gen.Int[1, 600]).SampleAsync(async (history, after, waitSeconds, limitSeconds) =>
        {
            var tenant = Build(history, P1);
            tenant.Append("account/t1/a0", after);
            tenant.Wait(TimeSpan.FromSeconds(waitSeconds));
            var pending = tenant.Entries.TakeLast(after).ToList();
            var now = LedgerHash.ParseTime(tenant.Entries[^1].At).AddSeconds(waitSeconds);
            var rule = new LedgerCoverageRule(now, TimeSpan.FromSeconds(limitSeconds));

            var result = await LedgerVerifier.VerifyAsync(
                Async(tenant.Entries.OrderBy(e => e.StreamId, LedgerCheckpoints.StreamIdComparer).ThenBy(e => e.Seq)), Async(tenant.Checkpoints), PublicRing, null, rule, CancellationToken.None);

            var oldest = pending[0];
            Assert.Equal(after, result.NotYetCheckpointed?.Count);
            if (LedgerHash.ParseTime(oldest.At) < rule.Cutoff)
            {
                Assert.Equal((false, LedgerVerifier.CheckpointOverdue, oldest.EntryId, oldest.StreamId), (result.Ok, result.Problem, result.FirstBrokenEntryId, result.StreamId));
            }
            else
            {
                Assert.True(result.Ok, result.Problem);
            }

            Assert.Equal(tenant.Entries.Count, result.Entries);
        });

    [Fact]
    public async Task AnExportStrippedOfItsCheckpointsFailsUnlessAnUnsignedCheckIsAskedFor()
    {
        var tenant = Build((2, [[2, 1], [1, 1]]), P1);
        var stripped = Export(tenant, withCheckpoints: false);

        var refused = await LedgerExportVerifier.VerifyAsync(new StringReader(stripped), PublicRing);
        Assert.Equal((false, LedgerExportVerifier.CheckpointsMissing, 5L, 0L), (refused.Ok, refused.Problem, refused.Entries, refused.Checkpoints));

        var unsigned = await LedgerExportVerifier.VerifyAsync(new StringReader(stripped), null, new LedgerExportVerifyOptions { AllowUnsigned = true });
        Assert.Equal((true, 5L, 0L, false), (unsigned.Ok, unsigned.Entries, unsigned.Checkpoints, unsigned.SignaturesChecked));

        // The unsigned check still checks the chains.
        var edited = stripped.Replace("\"seq\":2", "\"seq\":3", StringComparison.Ordinal);
        Assert.False((await LedgerExportVerifier.VerifyAsync(new StringReader(edited), null, new LedgerExportVerifyOptions { AllowUnsigned = true })).Ok);
        Assert.True((await LedgerExportVerifier.VerifyAsync(new StringReader(Export(tenant)), PublicRing)).Ok);
    }

    [Fact]
    public async Task AnExportWhoseOldEntriesNoCheckpointCoversFailsAsOfItsNewestTime()
    {
        var tenant = Build((1, [[2]]), P1);
        tenant.Append("account/t1/a0", 1);
        var uncovered = tenant.Entries[^1];
        tenant.Wait(TimeSpan.FromMinutes(10));
        tenant.Append("account/t1/a0", 1);
        var export = Export(tenant);

        var result = await LedgerExportVerifier.VerifyAsync(new StringReader(export), PublicRing);
        Assert.Equal((false, LedgerVerifier.CheckpointOverdue, uncovered.EntryId), (result.Ok, result.Problem, result.FirstBrokenEntryId));
        Assert.True((await LedgerExportVerifier.VerifyAsync(new StringReader(export), PublicRing, new LedgerExportVerifyOptions { MaxUncheckpointedAge = TimeSpan.FromMinutes(11) })).Ok);
        Assert.True((await LedgerExportVerifier.VerifyAsync(new StringReader(export), PublicRing, new LedgerExportVerifyOptions { AllowUnsigned = true })).Ok);
    }

    private static Tenant Build((int Streams, int[][] Rounds) history, LedgerCheckpointKey key)
    {
        var tenant = new Tenant();
        foreach (var round in history.Rounds)
        {
            for (var s = 0; s < history.Streams; s++)
            {
                tenant.Append($"account/t1/a{s}", round[s]);
            }

            tenant.Checkpoint(key);
        }

        return tenant;
    }

    private static string Line(LedgerCheckpoint checkpoint)
    {
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            LedgerCheckpointJson.WriteLine(writer, checkpoint);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
