using System.Reflection;
using Autonomy.Policy;

namespace Autonomy.Tests.Architecture;

/// <summary>The core holds the rules and records only: the compiler, not habit, keeps I/O and the runtime out.</summary>
public sealed class CoreReferencesTests
{
    /// <summary>
    /// The BCL, the Orleans serialization attributes, and the serializer library the generated serializers of the
    /// core's records call (codecs over buffers: no grains, no silo, no I/O).
    /// </summary>
    private static readonly string[] Allowed = ["System.", "Orleans.Serialization"];

    private static readonly string[] AllowedExactly =
    [
        "System", "netstandard", "mscorlib", "Orleans.Serialization", "Orleans.Serialization.Abstractions",
        // IP addresses and their ranges, for the webhook address rule: values, no sockets.
        "System.Net.Primitives",
    ];

    [Fact]
    public void CoreReferencesOnlyTheBclAndOrleansSerialization()
    {
        var references = typeof(AutoApprovalPolicyV1).Assembly.GetReferencedAssemblies().Select(name => name.Name!).ToList();

        var foreign = references.Where(name => !IsAllowed(name)).ToList();

        Assert.True(foreign.Count == 0, $"Autonomy.Core references {string.Join(", ", foreign)}; the core may reference the BCL and Orleans serialization only.");
        Assert.Contains("Orleans.Serialization.Abstractions", references);
    }

    [Theory]
    [InlineData("Orleans.Runtime", false)]
    [InlineData("Orleans.Core", false)]
    [InlineData("Orleans.Core.Abstractions", false)]
    [InlineData("Microsoft.Data.Sqlite", false)]
    [InlineData("Npgsql", false)]
    [InlineData("Microsoft.ML", false)]
    [InlineData("Microsoft.Extensions.Logging.Abstractions", false)]
    [InlineData("System.Net.Http", false)]
    [InlineData("System.Net.Sockets", false)]
    [InlineData("System.Collections.Immutable", true)]
    [InlineData("Orleans.Serialization", true)]
    public void TheRuleRefusesTheRuntimeAndIo(string name, bool allowed) => Assert.Equal(allowed, IsAllowed(name));

    private static bool IsAllowed(string name) =>
        AllowedExactly.Contains(name) || (Allowed.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)) && !IsIo(name));

    /// <summary>BCL assemblies whose only purpose is I/O to the outside world.</summary>
    private static bool IsIo(string name) =>
        name.StartsWith("System.Net.", StringComparison.Ordinal) || name is "System.Data.Common" or "System.Diagnostics.Process";
}
