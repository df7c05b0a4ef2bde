using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Autonomy.Hosting;

/// <summary>
/// Where the key ring that encrypts tenant secrets at rest lives (section "Autonomy:DataProtection"). The ring is
/// kept out of the database, so a copy of the database (or write access to it) yields ciphertext only.
/// </summary>
public sealed class SecretsAtRestOptions
{
    public const string Section = "Autonomy:DataProtection";

    /// <summary>
    /// The key ring's folder. Embedded mode: defaults to <c>keys</c> in the data directory. Cluster mode: required, and
    /// the same folder (a shared volume) for every silo, since any silo may load any tenant.
    /// </summary>
    public string? KeyDirectory { get; set; }

    /// <summary>Optional: a PFX certificate whose key encrypts the key ring's keys in their files (every silo needs it).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>, if it has one.</summary>
    public string? CertificatePassword { get; set; }
}

/// <summary>
/// Encrypts the secrets a grain stores (connector secrets, LLM keys, webhook signing secrets) with ASP.NET Core Data
/// Protection, under a key ring of its own (application name "Autonomy", purpose <see cref="Purpose"/> and the
/// secret's destination), so the gateway's own Data Protection setup is never touched. A stored value is
/// <see cref="Prefix"/> + a digest of its destination + ciphertext: a secret moved to another destination in the
/// database (say, a connector's endpoint rewritten there) is not revealed. A value without the prefix is a secret
/// stored before encryption, read as it is and written encrypted at the next write.
/// </summary>
public sealed class SecretsAtRest
{
    public const string Prefix = "enc:dp1:";
    public const string Purpose = "Autonomy.TenantSecrets.v1";
    public const string ApplicationName = "Autonomy";

    private readonly IDataProtector _protector;

    private SecretsAtRest(IDataProtector protector, string keyDirectory)
    {
        _protector = protector;
        KeyDirectory = keyDirectory;
    }

    /// <summary>The key ring's folder.</summary>
    public string KeyDirectory { get; }

    /// <summary>The key ring the configuration names; in cluster mode without one, the start fails saying what to set.</summary>
    /// <exception cref="InvalidOperationException">Cluster mode without <c>Autonomy:DataProtection:KeyDirectory</c>, or an unreadable certificate.</exception>
    public static SecretsAtRest Resolve(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(SecretsAtRestOptions.Section).Get<SecretsAtRestOptions>() ?? new SecretsAtRestOptions();
        var autonomy = configuration.GetSection(AutonomyOptions.Section).Get<AutonomyOptions>() ?? new AutonomyOptions();
        var directory = options.KeyDirectory is { Length: > 0 } configured
            ? configured
            : autonomy.Mode == AutonomyMode.Embedded
                ? Path.Combine(autonomy.DataDirectory, "keys")
                : throw new InvalidOperationException(
                    "Autonomy:Mode=Cluster needs a key ring for the secrets tenants store (connector secrets, LLM keys, webhook signing secrets), "
                    + "kept out of the database and shared by every silo: set Autonomy:DataProtection:KeyDirectory to a folder all silos mount "
                    + "(e.g. --Autonomy:DataProtection:KeyDirectory=/app/keys), optionally with Autonomy:DataProtection:CertificatePath to encrypt the keys in it.");
        return Create(directory, options.CertificatePath, options.CertificatePassword);
    }

    /// <summary>A key ring in <paramref name="keyDirectory"/> (created owner-only when missing).</summary>
    public static SecretsAtRest Create(string keyDirectory, string? certificatePath = null, string? certificatePassword = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyDirectory);
        var directory = OwnerOnly.CreateDirectory(keyDirectory);
        var services = new ServiceCollection();
        var builder = services.AddDataProtection().SetApplicationName(ApplicationName);
        builder.Services.Configure<KeyManagementOptions>(o => o.XmlRepository = new OwnerOnlyXmlRepository(directory));
        if (certificatePath is { Length: > 0 })
        {
            X509Certificate2 certificate;
            try
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, certificatePassword);
            }
            catch (CryptographicException ex)
            {
                throw new InvalidOperationException($"Autonomy:DataProtection:CertificatePath ({certificatePath}) is not a PKCS#12 certificate this password opens: {ex.Message}", ex);
            }

            builder.ProtectKeysWithCertificate(certificate).UnprotectKeysWithAnyCertificate(certificate);
        }

        // The provider owns the key ring for the process's lifetime, as the host's own would.
        var provider = services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>();
        return new SecretsAtRest(provider.CreateProtector(Purpose), directory);
    }

    /// <summary>
    /// The stored form of a secret bound to where it may go (<paramref name="destination"/>, e.g. a connector's origin and
    /// header): <see cref="Prefix"/>, a short digest of the destination, and the ciphertext under a purpose naming it.
    /// An already stored form is kept as it is.
    /// </summary>
    public string Protect(string secret, string destination)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(destination);
        return secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret : $"{Prefix}{Tag(destination)}:{_protector.CreateProtector(destination).Protect(secret)}";
    }

    /// <summary>
    /// The secret of a stored form: decrypted when it was stored for <paramref name="destination"/>; null when it was
    /// stored for another (its stored configuration was changed behind the API, so it stays behind); as it is when it
    /// has no prefix (a secret stored before encryption).
    /// </summary>
    /// <exception cref="InvalidOperationException">The key ring does not hold the key it was encrypted with; the message names the folder, never the value.</exception>
    public string? Reveal(string stored, string destination)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(destination);
        if (!stored.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return stored;
        }

        var body = stored.AsSpan(Prefix.Length);
        var colon = body.IndexOf(':');
        if (colon < 0 || !body[..colon].SequenceEqual(Tag(destination)))
        {
            return null;
        }

        try
        {
            return _protector.CreateProtector(destination).Unprotect(body[(colon + 1)..].ToString());
        }
        catch (CryptographicException)
        {
            // Not the exception's text: it may quote the payload.
            throw new InvalidOperationException(
                $"A stored tenant secret cannot be decrypted with the key ring in {KeyDirectory}: every silo must use the same Autonomy:DataProtection:KeyDirectory (and certificate), and its keys must not be deleted.");
        }
    }

    /// <summary>16 hex digits of SHA-256 over the destination: enough to tell a moved secret, nothing about the secret.</summary>
    private static string Tag(string destination) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(destination)))[..16];

    /// <summary>
    /// The Data Protection key files, each written once, owner read/write only, to a temporary name and moved into place,
    /// so a silo never reads half a key and no other user reads any.
    /// </summary>
    private sealed class OwnerOnlyXmlRepository(string directory) : IXmlRepository
    {
        public IReadOnlyCollection<XElement> GetAllElements() =>
            [.. Directory.EnumerateFiles(directory, "*.xml").Order(StringComparer.Ordinal).Select(path => XElement.Load(path))];

        public void StoreElement(XElement element, string friendlyName)
        {
            var name = friendlyName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? friendlyName : Guid.NewGuid().ToString("N");
            var path = Path.Combine(directory, name + ".xml");
            KeyFile.CreateOnce(path, element.ToString(SaveOptions.DisableFormatting));
        }
    }
}
