using Autonomy.Actions;
using CsCheck;

namespace Autonomy.Tests.Actions;

/// <summary>Standard Webhooks signatures: what the senders write is what a receiver (C# or openssl, as the docs show) verifies.</summary>
public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTywnW5YhfB0NfIrI3Fp2sBbe8wi8Z9E=";
    private static readonly DateTimeOffset At = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void TheSignatureIsTheOneOpensslComputesAsDocumented()
    {
        // docs/policy-and-modes.md: printf '%s' "$ID.$TS.$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" -binary | base64
        var signature = WebhookSignature.Sign([Secret], "msg_1", At.ToUnixTimeSeconds(), """{"test":1}"""u8);

        Assert.Equal("v1,bKo3Zf4G/3d6Du60QUBccOTgQP6R9U/CtKhpYg4pdSk=", signature);
    }

    [Fact]
    public void EverySignedBodyVerifiesWithEachSigningSecretAndNothingElseDoes() =>
        Gen.Select(Gen.Byte.Array[0, 200], Gen.Byte.Array[32], Gen.Byte.Array[32], Gen.Int[0, 1000]).Sample((body, a, b, flip) =>
        {
            var first = WebhookSignature.Secret(a);
            var second = WebhookSignature.Secret(b);
            var header = WebhookSignature.Sign([first, second], "d-1", At.ToUnixTimeSeconds(), body);
            var ts = At.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
            var tampered = body.Length == 0 ? [1] : (byte[])body.Clone();
            if (body.Length > 0)
            {
                tampered[flip % body.Length] ^= 1;
            }

            return header.Split(' ').Length == 2
                && WebhookSignature.Verify(first, "d-1", ts, body, header, At)
                && WebhookSignature.Verify(second, "d-1", ts, body, header, At.AddMinutes(4))
                && !WebhookSignature.Verify(first, "d-1", ts, tampered, header, At)
                && !WebhookSignature.Verify(first, "d-2", ts, body, header, At)
                && !WebhookSignature.Verify(first, "d-1", ts, body, header, At.AddMinutes(6))
                && !WebhookSignature.Verify(WebhookSignature.Secret(new byte[32]), "d-1", ts, body, header, At);
        });

    [Theory]
    [InlineData("MfKQ9r8GKYqrTywnW5YhfB0NfIrI3Fp2sBbe8wi8Z9E=")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    [InlineData("whsec_c2hvcnQ=")]
    public void OnlyWhsecBase64OfEnoughBytesIsASecret(string secret) => Assert.Null(WebhookSignature.Key(secret));

    [Fact]
    public void SecretsNeverPrint()
    {
        var keys = WebhookSigningKeys.None.Rotate(new WebhookSigningSecret("whs_1", Secret, At, null), TimeSpan.FromDays(1));
        Assert.DoesNotContain(Secret, keys.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, new WebhookSigningRotation(Secret, keys.View(At), 1).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ARotationSignsWithBothUntilThePreviousRetiresOrIsRemoved()
    {
        var keys = WebhookSigningKeys.None
            .Rotate(new WebhookSigningSecret("whs_a", "whsec_a", At, null), TimeSpan.FromDays(1))
            .Rotate(new WebhookSigningSecret("whs_b", "whsec_b", At.AddHours(1), null), TimeSpan.FromDays(1))
            .Rotate(new WebhookSigningSecret("whs_c", "whsec_c", At.AddHours(2), null), TimeSpan.FromDays(1));

        Assert.Equal(["whsec_c", "whsec_b"], keys.Signing(At.AddHours(3)).ToArray());
        Assert.Equal(["whsec_c"], keys.Signing(At.AddHours(2) + TimeSpan.FromDays(1)).ToArray());
        Assert.Equal(["whsec_c"], keys.WithoutPrevious().Signing(At.AddHours(3)).ToArray());
        Assert.Equal(["whs_c", "whs_b"], keys.View(At.AddHours(3)).Secrets.Select(s => s.Id));
    }
}
