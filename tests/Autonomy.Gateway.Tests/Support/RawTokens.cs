using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Autonomy.Gateway.Tests.Support;

/// <summary>
/// JWTs built by hand, byte for byte, so a test can send what an attacker would: any header, any claims, any
/// signature. <see cref="Valid"/> is a token the gateway accepts; each test changes one thing of it.
/// </summary>
public static class RawTokens
{
    public static JsonObject Header(string alg = "HS256") => new() { ["alg"] = alg, ["typ"] = "JWT" };

    /// <summary>The claims of a token the gateway accepts: the test issuer and audience, an hour's lifetime from now.</summary>
    public static JsonObject Claims(string tenant, string sub = "alice", string role = "admin")
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iss"] = GatewayFactory.Auth.Issuer,
            ["aud"] = GatewayFactory.Auth.Audience,
            ["sub"] = sub,
            ["tenant"] = tenant,
            ["role"] = role,
            ["iat"] = now,
            ["nbf"] = now,
            ["exp"] = now + 3600,
        };
    }

    public static string Valid(string tenant) => Hs256(Header(), Claims(tenant));

    /// <summary>Signed with HMAC-SHA256 under <paramref name="key"/> (default: the gateway's key), whatever the header says.</summary>
    public static string Hs256(JsonObject header, JsonObject claims, string? key = null) =>
        Signed(header, claims, data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(key ?? GatewayFactory.Auth.SigningKey), data));

    public static string Hs512(JsonObject claims) =>
        Signed(Header("HS512"), claims, data => HMACSHA512.HashData(Encoding.UTF8.GetBytes(GatewayFactory.Auth.SigningKey), data));

    public static string Rs256(JsonObject claims)
    {
        using var rsa = RSA.Create(2048);
        return Signed(Header("RS256"), claims, data => rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    /// <summary><c>alg: none</c> and an empty signature.</summary>
    public static string Unsigned(JsonObject claims) => $"{Part(Header("none"))}.{Part(claims)}.";

    private static string Signed(JsonObject header, JsonObject claims, Func<byte[], byte[]> sign)
    {
        var input = $"{Part(header)}.{Part(claims)}";
        return $"{input}.{Base64Url(sign(Encoding.ASCII.GetBytes(input)))}";
    }

    private static string Part(JsonObject json) => Base64Url(Encoding.UTF8.GetBytes(json.ToJsonString()));

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
