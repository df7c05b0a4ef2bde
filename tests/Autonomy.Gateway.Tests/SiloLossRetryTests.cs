using System.Reflection;
using Autonomy.Accounts;
using Autonomy.Common;
using Autonomy.Gateway.Infrastructure;
using Autonomy.Platform;
using Autonomy.Sellers;
using Autonomy.Tenants;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Serialization.Invocation;

namespace Autonomy.Gateway.Tests;

/// <summary>
/// The gateway retries idempotent grain calls across a silo loss, within its deadline, and nothing else. The
/// end-to-end proof (a silo SIGKILLed under load) is <c>SiloLossTests</c> in the grain tests.
/// </summary>
public sealed class SiloLossRetryTests
{
    private static readonly MethodInfo Ingest = typeof(IAccountGrain).GetMethod(nameof(IAccountGrain.IngestSignalsAsync))!;
    private static readonly MethodInfo Approve = typeof(IAccountGrain).GetMethod(nameof(IAccountGrain.ApproveAsync))!;

    [Fact]
    public async Task AnIdempotentCallIsRetriedUntilTheClusterAnswers()
    {
        var call = new FailingCall(Ingest, failures: 2, new SiloUnavailableException("silo gone"));

        await Filter(TimeSpan.FromSeconds(10)).Invoke(call);

        Assert.Equal(3, call.Attempts);
    }

    [Fact]
    public async Task AnApprovalIsNeverRetried()
    {
        var call = new FailingCall(Approve, failures: 1, new SiloUnavailableException("silo gone"));

        await Assert.ThrowsAsync<SiloUnavailableException>(() => Filter(TimeSpan.FromSeconds(10)).Invoke(call));

        Assert.Equal(1, call.Attempts);
    }

    [Fact]
    public async Task PastTheDeadlineTheFailureReachesTheClient()
    {
        var call = new FailingCall(Ingest, failures: int.MaxValue, new ConnectionFailedException("refused"));

        await Assert.ThrowsAsync<ConnectionFailedException>(() => Filter(TimeSpan.FromMilliseconds(300)).Invoke(call));

        Assert.True(call.Attempts > 1, $"{call.Attempts} attempt(s)");
    }

    [Fact]
    public async Task TheCallsOwnErrorIsNotRetried()
    {
        var call = new FailingCall(Ingest, failures: 1, new NotFoundException("no such account"));

        await Assert.ThrowsAsync<NotFoundException>(() => Filter(TimeSpan.FromSeconds(10)).Invoke(call));

        Assert.Equal(1, call.Attempts);
    }

    [Fact]
    public async Task AZeroDeadlineTurnsRetriesOff()
    {
        var call = new FailingCall(Ingest, failures: 1, new SiloUnavailableException("silo gone"));

        await Assert.ThrowsAsync<SiloUnavailableException>(() => Filter(TimeSpan.Zero).Invoke(call));

        Assert.Equal(1, call.Attempts);
    }

    [Theory]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.IngestSignalsAsync))]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.UpsertAsync))]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.GetAsync))]
    [InlineData(typeof(ITenantGrain), nameof(ITenantGrain.GetAutonomyAsync))]
    [InlineData(typeof(ITenantGrain), nameof(ITenantGrain.GetTriggersAsync))]
    [InlineData(typeof(ISellerGrain), nameof(ISellerGrain.GetNeedsInputAsync))]
    [InlineData(typeof(IPlatformGrain), nameof(IPlatformGrain.GetAsync))]
    public void SignalsUpsertsAndReadsAreMarkedIdempotent(Type grain, string method) =>
        Assert.True(SiloLossRetryFilter.IsIdempotent(grain.GetMethod(method)));

    [Theory]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.ApproveAsync))]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.EditAsync))]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.RejectAsync))]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.RevertAsync))]
    [InlineData(typeof(IAccountGrain), nameof(IAccountGrain.RecordOutcomeAsync))]
    [InlineData(typeof(ITenantGrain), nameof(ITenantGrain.SetModeAsync))]
    [InlineData(typeof(ITenantGrain), nameof(ITenantGrain.SetKillSwitchAsync))]
    [InlineData(typeof(IRunCounterGrain), nameof(IRunCounterGrain.ReserveAsync))]
    [InlineData(typeof(ITenantGrain), nameof(ITenantGrain.SetTriggerAsync))]
    [InlineData(typeof(IPlatformGrain), nameof(IPlatformGrain.SetAsync))]
    public void ApprovalsAndConfigurationWritesAreNotMarkedIdempotent(Type grain, string method) =>
        Assert.False(SiloLossRetryFilter.IsIdempotent(grain.GetMethod(method)));

    [Fact]
    public void EveryIdempotentMethodBoundsEachAttempt()
    {
        var grains = typeof(IAccountGrain).Assembly.GetTypes().Where(t => t.IsInterface && typeof(IAddressable).IsAssignableFrom(t));
        foreach (var method in grains.SelectMany(g => g.GetMethods()).Where(m => SiloLossRetryFilter.IsIdempotent(m) && m.Name is not "GetSnapshotAsync" and not "GetKillSwitchesAsync"))
        {
            Assert.True(method.GetCustomAttribute<ResponseTimeoutAttribute>()?.Timeout <= TimeSpan.FromSeconds(5), $"{method.DeclaringType!.Name}.{method.Name} has no [ResponseTimeout] of at most 5 s");
        }
    }

    private static SiloLossRetryFilter Filter(TimeSpan deadline) =>
        new(Options.Create(new GatewayRetryOptions { RetryDeadline = deadline }), NullLogger<SiloLossRetryFilter>.Instance);

    /// <summary>A grain call that fails <c>failures</c> times with the given exception, then answers.</summary>
    private sealed class FailingCall(MethodInfo method, int failures, Exception failure) : IOutgoingGrainCallContext
    {
        public int Attempts { get; private set; }

        public IInvokable Request => throw new NotSupportedException();

        public object Grain => this;

        public GrainId? SourceId => null;

        public GrainId TargetId => GrainId.Create("test", "1");

        public GrainInterfaceType InterfaceType => new(method.DeclaringType!.Name);

        public string InterfaceName => method.DeclaringType!.Name;

        public string MethodName => method.Name;

        public MethodInfo InterfaceMethod => method;

        public object? Result { get; set; }

        public Response? Response { get; set; }

        public IGrainContext? SourceContext => null;

        public Task Invoke()
        {
            Attempts++;
            if (Attempts <= failures)
            {
                throw failure;
            }

            Response = Response.Completed;
            return Task.CompletedTask;
        }
    }
}
