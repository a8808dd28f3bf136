// sapper::eval umbrella header: scoring alarms against ground truth.
#pragma once
