"""Test points: chosen from the trained model's predictions (`selection`), the objective whose change is predicted
(`objectives`), that objective as a differentiable function of the parameters (`cross_loss`).
"""
