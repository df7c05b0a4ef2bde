using Autonomy.Gateway;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Auth;
using Autonomy.Gateway.ControlCenter;
using Autonomy.Gateway.Infrastructure;

// `dotnet run --project src/Gateway -- mint-token --tenant t1 --role admin --sub alice` prints a token and exits.
if (MintTokenCommand.Matches(args))
{
    return MintTokenCommand.Run(args, Console.Out, Console.Error);
}

// `dotnet run --project src/Gateway -- verify-export ledger.ndjson --key checkpoint-public.pem` verifies an export offline and exits.
if (VerifyExportCommand.Matches(args))
{
    return VerifyExportCommand.Run(args, Console.Out, Console.Error);
}

// appsettings.json is read from next to the binary, whatever the working directory (dotnet run, dotnet X.dll, containers).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddAutonomyOrleans();       // embedded: co-hosted silo; cluster: Orleans client
builder.AddGatewayAuth();           // JWT bearer, access policies
builder.AddGatewayProblems();       // JSON setup, problem details, the exception handler
builder.AddGatewayOperations();     // OpenAPI, health, OpenTelemetry
builder.Services.AddLiveEvents();   // Server-Sent Events over the cluster's live streams

var app = builder.Build();
app.UseSecurityHeaders();           // CSP, nosniff, no-referrer on every response
app.UseGatewayPipeline();
app.UseControlCenter();             // the web control center at /
app.MapOperations();
app.MapTenantAutonomyApi();
app.MapAccountsApi();
app.MapSellersApi();
app.MapProposalsApi();
app.MapLedgerApi();
app.MapPlatformApi();
app.MapEventsApi();

app.Run();
return 0;

public partial class Program;
