using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using Autonomy.Actions;
using Autonomy.Decisions;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Hosting;
using Autonomy.Learning;
using Orleans.Configuration;

namespace Autonomy.Gateway.Tests.Docs;

/// <summary>
/// docs/configuration.md against the code, both ways: every setting an options class binds is a row of the
/// reference, and every <c>Auth:</c>, <c>Autonomy:</c>, <c>ConnectionStrings:</c> or <c>Orleans:</c> key the page
/// names is one that something reads. The options classes are named by type, so renaming one breaks this build
/// instead of silently loosening the check.
/// </summary>
public sealed partial class ConfigurationReferenceTests
{
    private const string Reference = "docs/configuration.md";

    /// <summary>Every options class the hosts bind (AddOptions, BindConfiguration, GetSection), with its section.</summary>
    private static readonly (string Section, Type Options)[] OptionsClasses =
    [
        (AutonomyOptions.Section, typeof(AutonomyOptions)),
        (AutonomyEngineOptions.Section, typeof(AutonomyEngineOptions)),
        (ChatEngineOptions.Section, typeof(ChatEngineOptions)),
        (WebhookOptions.Section, typeof(WebhookOptions)),
        (LedgerCheckpointOptions.Section, typeof(LedgerCheckpointOptions)),
        (SecretsAtRestOptions.Section, typeof(SecretsAtRestOptions)),
        (LearningOptions.Section, typeof(LearningOptions)),
        (GatewayRetryOptions.Section, typeof(GatewayRetryOptions)),
        (RateLimitOptions.Section, typeof(RateLimitOptions)),
        (AuthOptions.Section, typeof(AuthOptions)),
        (OperatorDashboardOptions.Section, typeof(OperatorDashboardOptions)),
    ];

    /// <summary>
    /// Orleans' own options, bound from these sections (SiloComposition, ClientComposition). The reference points to
    /// Orleans for the whole list, so only the keys it names are checked: each must be a property Orleans binds.
    /// </summary>
    private static readonly (string Section, Type[] Options)[] OrleansSections =
    [
        ("Orleans:Messaging", [typeof(SiloMessagingOptions), typeof(ClientMessagingOptions)]),
        ("Orleans:ClusterMembership", [typeof(ClusterMembershipOptions)]),
        ("Orleans:Gateway", [typeof(GatewayOptions)]),
        ("Orleans:GrainCollection", [typeof(GrainCollectionOptions)]),
        ("Orleans:GrainDirectory", [typeof(GrainDirectoryOptions)]),
    ];

    /// <summary>Keys read straight from IConfiguration, with no options class: each must still be read by src/.</summary>
    private static readonly string[] DirectKeys =
    [
        "Autonomy:MinimumReminderPeriod",
        "Autonomy:Otlp:Endpoint",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "Autonomy:Metrics:Prometheus",
        "Autonomy:Metrics:TenantLabels",
        "ConnectionStrings:AutonomyLongReads",
    ];

    private static readonly string ConnectionString = $"ConnectionStrings:{AutonomyOptions.ConnectionStringName}";

    [Fact]
    public void EveryOptionsSettingIsARowOfTheReference()
    {
        var rows = TableKeys(File.ReadAllText(Repository.PathOf(Reference)));

        var missing = OptionsClasses
            .SelectMany(o => Bindable(o.Section, o.Options).Select(b => (b.Key, Where: $"{o.Options.Name}.{b.Property}")))
            .Where(b => !rows.Contains(b.Key))
            .Select(b => $"{b.Key} ({b.Where})")
            .ToList();

        Assert.True(missing.Count == 0, $"{Reference} has no table row for: {string.Join(", ", missing)}. Add a row (setting, default, meaning) for each.");
    }

    [Fact]
    public void EveryKeyTheReferenceNamesIsRead()
    {
        var text = File.ReadAllText(Repository.PathOf(Reference));
        var bindable = OptionsClasses.SelectMany(o => Bindable(o.Section, o.Options)).ToList();
        var known = bindable.Select(b => b.Key)
            .Concat(OptionsClasses.Select(o => o.Section))
            .Concat(DirectKeys)
            .Append(ConnectionString)
            .ToHashSet(StringComparer.Ordinal);
        var collections = bindable.Where(b => b.IsCollection).Select(b => b.Key + ":").ToList();

        var unknown = MentionedKeys(text)
            .Where(k => !known.Contains(k) && !collections.Any(c => k.StartsWith(c, StringComparison.Ordinal)) && !IsOrleansKey(k))
            .Distinct(StringComparer.Ordinal)
            .ToList();

        Assert.True(unknown.Count == 0, $"{Reference} names keys that no options class binds and nothing reads directly: {string.Join(", ", unknown)}. Fix the spelling, or remove them.");
    }

    [Fact]
    public void EveryDirectlyReadKeyIsARowOfTheReferenceAndStillRead()
    {
        var rows = TableKeys(File.ReadAllText(Repository.PathOf(Reference)));
        var source = string.Join('\n', SourceFiles().Select(File.ReadAllText));

        foreach (var key in DirectKeys.Append(ConnectionString))
        {
            Assert.True(rows.Contains(key), $"{Reference} has no table row for {key}.");
        }

        foreach (var key in DirectKeys)
        {
            Assert.True(source.Contains($"\"{key}\"", StringComparison.Ordinal), $"{key} is no longer read in src/: drop it from {Reference} and from {nameof(DirectKeys)}.");
        }
    }

    [Fact]
    public void EveryOptionsSectionInTheCodeIsChecked()
    {
        var sections = SourceFiles()
            .SelectMany(f => SectionConstant().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

        var missing = sections.Except(OptionsClasses.Select(o => o.Section), StringComparer.Ordinal).ToList();

        Assert.True(sections.Count > 0, "no options class found in src/");
        Assert.True(missing.Count == 0, $"Options sections not in {nameof(OptionsClasses)}: {string.Join(", ", missing)}. Add their classes there and their settings to {Reference}.");
    }

    /// <summary>The keys in the first column of the page's tables.</summary>
    private static HashSet<string> TableKeys(string text) =>
        text.Split('\n')
            .Where(line => line.StartsWith('|'))
            .Select(line => line.Split('|')[1])
            .SelectMany(cell => MentionedKeys(cell).Concat(EnvironmentKey().Matches(cell).Select(m => m.Value)))
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>The C# files of src/, without build output.</summary>
    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Repository.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"));

    /// <summary>Configuration keys named in the text, <c>Auth__SigningKey</c> spelled <c>Auth:SigningKey</c>.</summary>
    private static IEnumerable<string> MentionedKeys(string text) =>
        Key().Matches(text).Select(m => m.Value.Replace("__", ":", StringComparison.Ordinal));

    /// <summary>The keys configuration binding fills on an options class (settable properties, and collections it fills in place).</summary>
    private static IEnumerable<(string Key, string Property, bool IsCollection)> Bindable(string section, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true })
            {
                continue;
            }

            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var isCollection = valueType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(valueType);
            var settable = property.SetMethod is { IsPublic: true };
            if (!settable && !(isCollection && !valueType.IsArray))
            {
                continue;
            }

            var key = $"{section}:{property.Name}";
            if (isCollection || TypeDescriptor.GetConverter(valueType).CanConvertFrom(typeof(string)))
            {
                yield return (key, property.Name, isCollection);
            }
            else
            {
                foreach (var nested in Bindable(key, valueType))
                {
                    yield return (nested.Key, $"{property.Name}.{nested.Property}", nested.IsCollection);
                }
            }
        }
    }

    private static bool IsOrleansKey(string key) =>
        OrleansSections.Any(s => key == s.Section
            || (key.StartsWith(s.Section + ":", StringComparison.Ordinal)
                && s.Options.Any(t => t.GetProperty(key[(s.Section.Length + 1)..], BindingFlags.Public | BindingFlags.Instance)?.SetMethod is { IsPublic: true })));

    [GeneratedRegex(@"(?<![A-Za-z0-9_])(?:Auth|Autonomy|ConnectionStrings|Orleans)(?:(?::|__)[A-Za-z][A-Za-z0-9]*)+")]
    private static partial Regex Key();

    /// <summary>An environment variable read as such (e.g. OTEL_EXPORTER_OTLP_ENDPOINT).</summary>
    [GeneratedRegex(@"(?<=`)[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?=`)")]
    private static partial Regex EnvironmentKey();

    [GeneratedRegex(@"const string Section = ""([^""]+)"";")]
    private static partial Regex SectionConstant();
}
