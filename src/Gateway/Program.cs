using Autonomy.Gateway;
using Autonomy.Gateway.Apis;
using Autonomy.Gateway.Auth;

// `dotnet run --project src/Gateway -- mint-token --tenant t1 --role admin --sub alice` prints a token and exits.
if (MintTokenCommand.Matches(args))
{
    return MintTokenCommand.Run(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddAutonomyOrleans();       // embedded: co-hosted silo; cluster: Orleans client
builder.AddGatewayAuth();           // JWT bearer, access policies
builder.AddGatewayProblems();       // JSON setup, problem details, the exception handler
builder.AddGatewayOperations();     // OpenAPI, health, OpenTelemetry

var app = builder.Build();
app.UseGatewayPipeline();
app.MapOperations();
app.MapTenantAutonomyApi();
app.MapAccountsApi();
app.MapSellersApi();
app.MapProposalsApi();
app.MapLedgerApi();
app.MapPlatformApi();

app.Run();
return 0;

public partial class Program;
